// Who the user is (a name, kept in localStorage; `?name=` overrides it) and which server
// to talk to (the page's own host; `?server=ws://…` overrides it).

const NAME_KEY = "resocket-chat:name";

const ADJECTIVES = ["brave", "calm", "eager", "fuzzy", "jolly", "lucky", "nimble", "quiet", "swift", "witty"];
const ANIMALS = ["otter", "panda", "falcon", "lynx", "koala", "heron", "badger", "gecko", "moose", "tiger"];

/** Trims a name to something that fits in a chat line. */
export function cleanName(raw: string): string {
  return raw.trim().replace(/\s+/g, " ").slice(0, 24);
}

export function initialName(): string | null {
  const fromUrl = new URLSearchParams(location.search).get("name");
  if (fromUrl !== null && cleanName(fromUrl) !== "") return cleanName(fromUrl);
  const saved = localStorage.getItem(NAME_KEY);
  return saved !== null && cleanName(saved) !== "" ? cleanName(saved) : null;
}

export function saveName(name: string): void {
  localStorage.setItem(NAME_KEY, name);
}

export function forgetName(): void {
  localStorage.removeItem(NAME_KEY);
}

export function suggestName(): string {
  const pick = (list: string[]): string => list[Math.floor(Math.random() * list.length)] ?? "anon";
  return `${pick(ADJECTIVES)}-${pick(ANIMALS)}`;
}

export function serverUrl(): string {
  const fromUrl = new URLSearchParams(location.search).get("server");
  if (fromUrl !== null) return fromUrl;
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
}
