//! A map kept as a deque sorted by key.
//!
//! The core's maps are small (channels) or filled and emptied in key order (requests,
//! whose ids and deadlines mostly grow): a sorted deque does their lookups with a
//! binary search, adds at the back and removes at the front in O(1), and costs a
//! fraction of `BTreeMap`'s code in the WebAssembly module, where every map type is
//! compiled separately.

use std::collections::VecDeque;

/// Entries sorted by key, each key once.
#[derive(Debug, Clone)]
pub(crate) struct SortedMap<K, V> {
    entries: VecDeque<(K, V)>,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        Self {
            entries: VecDeque::new(),
        }
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    fn find<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: std::borrow::Borrow<Q>,
    {
        // Keys mostly arrive in order: check the back first.
        match self.entries.back() {
            None => return Err(0),
            Some((last, _)) if last.borrow() < key => return Err(self.entries.len()),
            _ => {}
        }
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub(crate) fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: std::borrow::Borrow<Q>,
    {
        self.find(key).is_ok()
    }

    pub(crate) fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        self.entries.get(i).map(|(_, v)| v)
    }

    pub(crate) fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: std::borrow::Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        self.entries.get_mut(i).map(|(_, v)| v)
    }

    /// Adds or replaces the entry of `key`.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        match self.find(&key) {
            Ok(i) => self.entries[i].1 = value,
            Err(i) if i == self.entries.len() => self.entries.push_back((key, value)),
            Err(i) => self.entries.insert(i, (key, value)),
        }
    }

    pub(crate) fn remove<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
    {
        let i = self.find(key).ok()?;
        if i == 0 {
            return self.entries.pop_front().map(|(_, v)| v);
        }
        self.entries.remove(i).map(|(_, v)| v)
    }

    /// The entry with the smallest key.
    pub(crate) fn first(&self) -> Option<(&K, &V)> {
        self.entries.front().map(|(k, v)| (k, v))
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    /// Entries in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Entries in key order, values mutable.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::SortedMap;

    #[test]
    fn keeps_keys_sorted_whatever_the_insertion_order() {
        let mut map = SortedMap::default();
        for k in [5u64, 1, 9, 3, 7, 3] {
            map.insert(k, k * 10);
        }
        let keys: Vec<u64> = map.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, [1, 3, 5, 7, 9]);
        assert_eq!(map.get(&3), Some(&30));
        assert_eq!(map.first(), Some((&1, &10)));
        assert_eq!(map.remove(&1), Some(10));
        assert_eq!(map.remove(&7), Some(70));
        assert_eq!(map.remove(&7), None);
        assert!(!map.contains_key(&4));
        let keys: Vec<u64> = map.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, [3, 5, 9]);
    }

    #[test]
    fn looks_up_string_keys_by_str() {
        let mut map: SortedMap<String, u32> = SortedMap::default();
        map.insert("b".into(), 2);
        map.insert("a".into(), 1);
        *map.get_mut("b").unwrap() += 1;
        assert_eq!(map.get("b"), Some(&3));
        assert_eq!(map.remove("a"), Some(1));
        assert!(map.contains_key("b"));
    }
}
