//! The four stores through the 2.4.0 traits: what the runtime relies on.
mod common;

use a3s_box_store::*;
use common::{block_on, legacy_home, network, volume, TempDir};
use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::thread;

fn snapshot(id: &str, secs: i64) -> SnapshotMetadata {
    use chrono::TimeZone;
    let mut s = SnapshotMetadata::new(
        id.to_string(),
        id.to_string(),
        "box-a".to_string(),
        "alpine".to_string(),
    );
    s.created_at = chrono::Utc.timestamp_opt(secs, 0).unwrap();
    s
}

fn assert_backend<T: Clone + Send + Sync + 'static>(_: &T) {}

#[test]
fn the_stores_are_shareable_trait_objects() {
    let home = TempDir::new();
    let store = Store::open(home.path()).unwrap();
    assert_backend(&store.networks());
    assert_backend(&store.volumes());
    assert_backend(&store.snapshots());
    assert_backend(&store.images());
    let _: Arc<dyn NetworkStoreBackend> = Arc::new(store.networks());
    let _: Arc<dyn VolumeStoreBackend> = Arc::new(store.volumes());
    let _: Arc<dyn SnapshotStoreBackend> = Arc::new(store.snapshots());
    let _: Arc<dyn ImageStoreBackend> = Arc::new(store.images());
    // A store outlives the Store it came from.
    let networks = store.networks();
    drop(store);
    assert_eq!(networks.list().unwrap(), Vec::new());
}

#[test]
fn networks_create_get_list_update_remove() {
    let home = TempDir::new();
    let store = Store::open(home.path()).unwrap();
    let networks = store.networks();
    assert_eq!(networks.get("dev").unwrap(), None);
    networks.create(network("dev", "10.88.0.0/24")).unwrap();
    networks.create(network("alpha", "10.89.0.0/24")).unwrap();

    let err = networks.create(network("dev", "10.90.0.0/24")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::AlreadyExists);
    assert!(err.message().contains("dev"), "{err}");
    let names: Vec<String> = networks.list().unwrap().into_iter().map(|n| n.name).collect();
    assert_eq!(names, ["alpha", "dev"]);

    let mut dev = networks.get("dev").unwrap().unwrap();
    dev.labels.insert("team".to_string(), "web".to_string());
    networks.update(&dev).unwrap();
    assert_eq!(networks.get("dev").unwrap(), Some(dev.clone()));
    assert_eq!(
        networks
            .update(&network("ghost", "10.1.0.0/24"))
            .unwrap_err()
            .code(),
        ErrorCode::NotFound
    );

    let endpoint = networks
        .connect("dev", "box-a", "web", &["app".to_string()])
        .unwrap();
    assert_eq!(endpoint.ip_address, Ipv4Addr::new(10, 88, 0, 2));
    assert_eq!(endpoint.mac_address, "02:42:0a:58:00:02");
    let err = networks.remove("dev").unwrap_err();
    assert_eq!(err.code(), ErrorCode::InUse);
    assert_eq!(networks.disconnect("dev", "box-a").unwrap(), endpoint);
    assert_eq!(networks.remove("dev").unwrap(), dev);
    let err = networks.remove("dev").unwrap_err();
    assert_eq!(
        (err.code(), err.to_string()),
        (ErrorCode::NotFound, "network 'dev' not found".to_string())
    );
}

#[test]
fn bad_arguments_are_refused_with_invalid_argument() {
    let home = TempDir::new();
    let store = Store::open(home.path()).unwrap();
    let networks = store.networks();
    assert_eq!(
        networks
            .create(network("../up", "10.88.0.0/24"))
            .unwrap_err()
            .code(),
        ErrorCode::InvalidArgument
    );
    let mut bad_gateway = network("dev", "10.88.0.0/24");
    bad_gateway.gateway = Ipv4Addr::new(192, 168, 0, 1);
    assert_eq!(
        networks.create(bad_gateway).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        networks.get("a\0b").unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        Store::open_with(home.path(), r#"{"no_such_option": 1}"#)
            .err()
            .unwrap()
            .code(),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn concurrent_connects_from_many_threads_get_distinct_addresses() {
    let home = TempDir::new();
    let store = Store::open(home.path()).unwrap();
    store.networks().create(network("dev", "10.88.0.0/24")).unwrap();
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let networks = store.networks();
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                (0..5)
                    .map(|i| {
                        networks
                            .connect("dev", &format!("box-{t}-{i}"), "b", &[])
                            .unwrap()
                            .ip_address
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut addresses: Vec<Ipv4Addr> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    addresses.sort();
    let expected: Vec<Ipv4Addr> = (2..42).map(|i| Ipv4Addr::new(10, 88, 0, i)).collect();
    assert_eq!(addresses, expected);
}

#[test]
fn volumes_create_attach_remove_prune() {
    let home = TempDir::new();
    let store = Store::open(home.path()).unwrap();
    let volumes = store.volumes();
    let created = volumes.create(volume("pgdata")).unwrap();
    assert_eq!(
        Path::new(&created.mount_point),
        home.path().join("volumes/pgdata")
    );
    assert!(home.path().join("volumes/pgdata").is_dir());
    assert_eq!(
        volumes.create(volume("pgdata")).unwrap_err().code(),
        ErrorCode::AlreadyExists
    );
    assert_eq!(volumes.get_or_create(&volume("pgdata")).unwrap(), created);
    volumes.create(volume("scratch")).unwrap();

    volumes.attach("pgdata", "box-a").unwrap();
    volumes.attach("pgdata", "box-a").unwrap();
    assert_eq!(volumes.get("pgdata").unwrap().unwrap().in_use_by, ["box-a"]);
    assert_eq!(
        volumes.remove("pgdata", false).unwrap_err().code(),
        ErrorCode::InUse
    );
    assert_eq!(volumes.prune().unwrap(), ["scratch"]);
    assert_eq!(volumes.list().unwrap().len(), 1);

    let mut pgdata = volumes.get("pgdata").unwrap().unwrap();
    pgdata.size_limit = 1 << 30;
    volumes.update(&pgdata).unwrap();
    assert_eq!(volumes.remove("pgdata", true).unwrap(), pgdata);
    assert!(!home.path().join("volumes/pgdata").exists());
    assert_eq!(volumes.get("pgdata").unwrap(), None);
}

#[test]
fn snapshots_save_list_prune_delete() {
    let home = TempDir::new();
    let store = Store::open(home.path()).unwrap();
    let snapshots = store.snapshots();
    let rootfs = legacy_home().join("snapshots/snap-001/rootfs");
    let a = snapshots.save(snapshot("a", 100), &rootfs).unwrap();
    assert!(a.size_bytes > 0);
    assert!(home.path().join("snapshots/a/rootfs").is_dir());
    snapshots
        .save(snapshot("b", 200), &home.path().join("absent"))
        .unwrap();
    snapshots.save(snapshot("c", 300), &rootfs).unwrap();
    assert_eq!(
        snapshots.save(snapshot("c", 300), &rootfs).unwrap_err().code(),
        ErrorCode::AlreadyExists
    );

    let ids: Vec<String> = snapshots.list().unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(ids, ["c", "b", "a"]);
    assert_eq!(snapshots.count().unwrap(), 3);
    assert_eq!(snapshots.total_size().unwrap(), 2 * a.size_bytes);
    assert_eq!(snapshots.prune(2, 0).unwrap(), ["a"]);
    assert_eq!(snapshots.prune(0, a.size_bytes).unwrap(), Vec::<String>::new());
    // Oldest first until both limits hold: b (empty) does not suffice.
    assert_eq!(snapshots.prune(0, a.size_bytes - 1).unwrap(), ["b", "c"]);
    assert_eq!(snapshots.count().unwrap(), 0);
    snapshots.save(snapshot("d", 400), &rootfs).unwrap();
    assert!(snapshots.delete("d").unwrap());
    assert!(!snapshots.delete("d").unwrap());
    assert_eq!(snapshots.get("d").unwrap(), None);
    assert!(!home.path().join("snapshots/d").exists());
}

#[test]
fn images_put_get_remove_evict() {
    let home = TempDir::new();
    let store = Store::open_with(home.path(), r#"{"image_cache_bytes": 1000}"#).unwrap();
    let images = store.images();
    let nginx = "sha256:6515f83e7ba5810842059cf6b2b7279a3073b9d141623e62cc825050025113e0";
    let alpine = "sha256:804658e22c3fcf82867343d685d090a2b3851e0581e7a032871c86f7c5c986f7";
    let layout = |digest: &str| legacy_home().join("images/sha256").join(&digest[7..]);
    block_on(async {
        assert_eq!(images.get("nginx:1.27").await, None);
        let put = images.put("nginx:1.27", nginx, &layout(nginx)).await.unwrap();
        images.put("nginx:stable", nginx, &layout(nginx)).await.unwrap();
        let small = images
            .put("alpine:latest", alpine, &layout(alpine))
            .await
            .unwrap();
        assert!(put.path.join("oci-layout").is_file());
        assert_eq!(images.total_size().await, put.size_bytes + small.size_bytes);
        assert_eq!(images.list().await.len(), 3);
        assert_eq!(
            images.get_by_digest(alpine).await.map(|i| i.reference),
            Some("alpine:latest".to_string())
        );

        let err = images
            .put("bad", "sha256:nothex", &layout(alpine))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument);
        let err = images
            .put("gone", alpine, Path::new("/no/such/layout"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument);

        // Least recently used first: alpine was just used, nginx was not.
        assert!(put.size_bytes > 1000, "the nginx layout is over the cap alone");
        let mut evicted = images.evict().await.unwrap();
        evicted.sort();
        assert_eq!(evicted, ["nginx:1.27", "nginx:stable"]);
        assert!(!put.path.exists());
        images.remove(alpine).await.unwrap();
        assert_eq!(
            images.remove(alpine).await.unwrap_err().code(),
            ErrorCode::NotFound
        );
        assert_eq!(images.list().await, Vec::new());
    });
}

#[test]
fn two_stores_on_one_home_see_each_others_writes() {
    let home = TempDir::new();
    let first = Store::open(home.path()).unwrap();
    let second = Store::open(home.path()).unwrap();
    first.networks().create(network("dev", "10.88.0.0/24")).unwrap();
    second.networks().connect("dev", "box-a", "web", &[]).unwrap();
    assert_eq!(first.networks().get("dev").unwrap().unwrap().endpoints.len(), 1);
    assert!(!Store::engine_version().is_empty());
}
