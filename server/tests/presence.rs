//! Presence: a snapshot on subscribe, `join` and `leave` for the others.

mod common;

use common::{spawn_default, TestClient};
use resocket_protocol::{ClientFrame, PresenceEvent, PresenceMember, ServerFrame};

fn member(client: &TestClient, user: Option<&str>) -> PresenceMember {
    PresenceMember {
        session: client.session.clone().unwrap(),
        user: user.map(str::to_owned),
    }
}

async fn presence(client: &mut TestClient) -> PresenceEvent {
    match client.recv().await {
        ServerFrame::Presence { channel, event } => {
            assert_eq!(channel, "lobby");
            event
        }
        other => panic!("expected presence, got {other:?}"),
    }
}

#[tokio::test]
async fn snapshot_join_and_leave() {
    let server = spawn_default().await;
    let addr = server.local_addr();
    let mut alice = TestClient::connect_with(addr, &[], Some("alice")).await;
    let (_, _, _) = alice.subscribe("lobby", None).await;
    assert_eq!(
        presence(&mut alice).await,
        PresenceEvent::Snapshot {
            members: vec![member(&alice, Some("alice"))]
        }
    );

    let mut bob = TestClient::connect(addr).await;
    bob.subscribe("lobby", None).await;
    match presence(&mut bob).await {
        PresenceEvent::Snapshot { members } => {
            assert_eq!(members.len(), 2);
            assert!(members.contains(&member(&alice, Some("alice"))));
            assert!(members.contains(&member(&bob, None)));
        }
        other => panic!("expected a snapshot, got {other:?}"),
    }
    assert_eq!(
        presence(&mut alice).await,
        PresenceEvent::Join {
            member: member(&bob, None)
        }
    );

    // Leave on unsubscribe...
    let id = bob.id();
    bob.send(&ClientFrame::Unsubscribe {
        id,
        channel: "lobby".into(),
    })
    .await;
    assert!(matches!(bob.recv().await, ServerFrame::Unsubscribed { .. }));
    assert_eq!(
        presence(&mut alice).await,
        PresenceEvent::Leave {
            member: member(&bob, None)
        }
    );

    // ...and on disconnect.
    let mut carol = TestClient::connect_with(addr, &[], Some("carol")).await;
    carol.subscribe_fresh("lobby").await;
    assert_eq!(
        presence(&mut alice).await,
        PresenceEvent::Join {
            member: member(&carol, Some("carol"))
        }
    );
    let carol_member = member(&carol, Some("carol"));
    drop(carol);
    assert_eq!(
        presence(&mut alice).await,
        PresenceEvent::Leave {
            member: carol_member
        }
    );
    server.shutdown().await;
}
