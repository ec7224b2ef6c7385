//! The engine's JSON and serde's are one format: every record the engine
//! writes reads into the 2.4.0 types and serializes back to the same bytes,
//! and every record serde writes is accepted and comes back equal.
mod common;

use a3s_box_store::*;
use chrono::{DateTime, TimeZone, Utc};
use common::{block_on, legacy_home, network, volume, Raw, TempDir};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use std::path::Path;

/// Reads the engine's `text` as `T` and checks that serde writes it back
/// byte for byte (records whose maps have at most one entry: HashMap order
/// is serde's to choose).
fn same_bytes<T: DeserializeOwned + Serialize>(text: &str) -> T {
    let value: T = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(serde_json::to_string(&value).unwrap(), text);
    value
}

/// Reads the engine's `text` as `T` and checks that serde writes the same
/// JSON value back (any map order).
fn same_value<T: DeserializeOwned + Serialize>(text: &str) -> T {
    let value: T = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let engine: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(serde_json::to_value(&value).unwrap(), engine);
    value
}

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn at(secs: i64, nanos: u32) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, nanos).unwrap()
}

#[test]
fn a_network_round_trips_byte_for_byte() {
    let home = TempDir::new();
    let store = Store::open(home.path()).unwrap();
    let networks = store.networks();
    let mut config = network("dev", "10.88.0.0/24");
    config.labels = map(&[("équipe", "données ✓")]);
    config.policy = NetworkPolicy {
        isolation: IsolationMode::Custom,
        ingress: vec![PolicyRule {
            from: "web".to_string(),
            to: "db".to_string(),
            ports: vec![0, 5432, u16::MAX],
            protocol: "tcp".to_string(),
            action: PolicyAction::Deny,
        }],
        egress: Vec::new(),
    };
    networks.create(config.clone()).unwrap();
    let endpoint = networks
        .connect("dev", "box-a", "web", &strings(&["app", "", "web"]))
        .unwrap();
    config.endpoints.insert("box-a".to_string(), endpoint);

    let text = Raw::open(home.path()).get(a3s_box_store::sys::a3s_network_get, "dev");
    let read: NetworkConfig = same_bytes(&text);
    assert_eq!(read, config);
    assert_eq!(read.endpoints["box-a"].aliases, strings(&["app"]));
    assert_eq!(networks.get("dev").unwrap(), Some(config));
}

#[test]
fn networks_with_many_endpoints_and_labels_read_back_equal() {
    let home = TempDir::new();
    let store = Store::open(home.path()).unwrap();
    let networks = store.networks();
    let mut config = network("big", "10.90.0.0/16");
    config.labels = map(&[("a", ""), ("b", "2"), ("日本", "語")]);
    networks.create(config.clone()).unwrap();
    for i in 0..5 {
        let endpoint = networks
            .connect("big", &format!("box-{i}"), &format!("name-{i}"), &[])
            .unwrap();
        config.endpoints.insert(endpoint.box_id.clone(), endpoint);
    }
    let text = Raw::open(home.path()).get(a3s_box_store::sys::a3s_network_get, "big");
    assert_eq!(same_value::<NetworkConfig>(&text), config);
}

#[test]
fn a_network_with_every_default_is_written_in_full() {
    let home = TempDir::new();
    let store = Store::open(home.path()).unwrap();
    let config: NetworkConfig = serde_json::from_value(json!({
        "name": "min", "subnet": "10.1.2.0/30", "gateway": "10.1.2.1",
        "created_at": "2026-01-01T00:00:00+00:00"
    }))
    .unwrap();
    store.networks().create(config.clone()).unwrap();
    let text = Raw::open(home.path()).get(a3s_box_store::sys::a3s_network_get, "min");
    assert_eq!(
        text,
        r#"{"name":"min","subnet":"10.1.2.0/30","gateway":"10.1.2.1","driver":"bridge","labels":{},"endpoints":{},"created_at":"2026-01-01T00:00:00+00:00","policy":{"isolation":"none","ingress":[],"egress":[]}}"#
    );
    assert_eq!(same_bytes::<NetworkConfig>(&text), config);
}

/// The engine, given JSON that leaves out every optional field, stores what
/// serde reads from that JSON: the same defaults, written the same way.
#[test]
fn missing_fields_take_the_same_defaults_in_the_engine_and_in_serde() {
    use a3s_box_store::sys;
    use std::ffi::CString;
    let home = TempDir::new();
    let raw = Raw::open(home.path());
    let c = |text: &str| CString::new(text).unwrap();

    let minimal = r#"{"name":"n","subnet":"10.1.0.0/24","gateway":"10.1.0.1","created_at":"x",
        "endpoints":{"b":{"box_id":"b","box_name":"web","ip_address":"10.1.0.2","mac_address":"02:42:0a:01:00:02"}},
        "policy":{"ingress":[{}],"egress":[{"ports":[80]}]}}"#;
    let config = c(minimal);
    assert_eq!(
        unsafe { sys::a3s_network_create(raw.handle(), config.as_ptr()) },
        sys::A3S_OK
    );
    let expected: NetworkConfig = serde_json::from_str(minimal).unwrap();
    assert_eq!(
        raw.get(sys::a3s_network_get, "n"),
        serde_json::to_string(&expected).unwrap()
    );

    let minimal = r#"{"name":"v","mount_point":"","created_at":"x"}"#;
    let config = c(minimal);
    let text = raw.call(|s, out| unsafe { sys::a3s_volume_create(s, config.as_ptr(), out) });
    let mut expected: VolumeConfig = serde_json::from_str(minimal).unwrap();
    expected.mount_point = home.path().join("volumes/v").to_str().unwrap().to_string();
    assert_eq!(text, serde_json::to_string(&expected).unwrap());

    let minimal = r#"{"id":"s","name":"","source_box_id":"b","image":"i","vcpus":1,"memory_mb":1,
        "volumes":[],"env":{},"cmd":[]}"#;
    let (metadata, rootfs) = (c(minimal), c(home.path().join("none").to_str().unwrap()));
    let text =
        raw.call(|s, out| unsafe { sys::a3s_snapshot_save(s, metadata.as_ptr(), rootfs.as_ptr(), out) });
    let expected: SnapshotMetadata = serde_json::from_str(minimal).unwrap();
    assert_eq!(text, serde_json::to_string(&expected).unwrap());
}

#[test]
fn a_volume_round_trips_byte_for_byte() {
    let home = TempDir::new();
    let store = Store::open(home.path()).unwrap();
    let volumes = store.volumes();
    let mut config = volume("pgdata");
    config.labels = map(&[("app", "ポスグレ")]);
    config.size_limit = u64::MAX;
    let created = volumes.create(config.clone()).unwrap();
    volumes.attach("pgdata", "box-a").unwrap();
    volumes.attach("pgdata", "box-b").unwrap();
    config.mount_point = home.path().join("volumes/pgdata").to_str().unwrap().to_string();
    assert_eq!(created, config);
    config.in_use_by = strings(&["box-a", "box-b"]);

    let raw = Raw::open(home.path());
    let read: VolumeConfig = same_bytes(&raw.get(a3s_box_store::sys::a3s_volume_get, "pgdata"));
    assert_eq!(read, config);
    volumes.create(volume("empty")).unwrap();
    let all: Vec<VolumeConfig> = same_bytes(&raw.list(a3s_box_store::sys::a3s_volume_list));
    assert_eq!(
        all.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
        ["empty", "pgdata"]
    );
}

fn full_snapshot(id: &str) -> SnapshotMetadata {
    let mut s = SnapshotMetadata::new(
        id.to_string(),
        "before upgrade ✓".to_string(),
        "box-a".to_string(),
        "docker.io/library/nginx:1.27".to_string(),
    );
    s.vcpus = u32::MAX;
    s.memory_mb = u32::MAX;
    s.volumes = strings(&["/data:/var/lib/data"]);
    s.env = map(&[("PATH", "/usr/bin")]);
    s.cmd = strings(&["nginx", "-g", "daemon off;"]);
    s.entrypoint = Some(strings(&["/docker-entrypoint.sh"]));
    s.workdir = Some("/srv".to_string());
    // Keys in sorted order: serde_json::Value writes an object's keys sorted.
    s.image_config = Some(json!({"cmd": ["nginx"], "env": ["A=1"], "user": "101"}));
    s.health_check = Some(json!({"interval": 30, "test": ["CMD", "true"]}));
    s.healthcheck_disabled = true;
    s.port_map = strings(&["8080:80"]);
    s.labels = map(&[("tier", "web")]);
    s.network_mode = Some("bridge:dev".to_string());
    s.rootfs_cache_key = Some("c0ffee".to_string());
    s.created_at = at(1_781_683_200, 1);
    s.description = "a «description» 🦀 with \"quotes\", \\, /, \t\n\u{1f}\u{7f}\u{2028}".to_string();
    s
}

#[test]
fn a_snapshot_round_trips_byte_for_byte() {
    let home = TempDir::new();
    let store = Store::open(home.path()).unwrap();
    let snapshots = store.snapshots();
    let full = full_snapshot("full");
    let saved = snapshots
        .save(full.clone(), &home.path().join("no-such-rootfs"))
        .unwrap();
    assert_eq!(saved, full);

    let mut bare = SnapshotMetadata::new(
        "bare".to_string(),
        String::new(),
        "b".to_string(),
        "i".to_string(),
    );
    bare.created_at = at(0, 0);
    snapshots
        .save(bare.clone(), &home.path().join("no-such-rootfs"))
        .unwrap();

    let raw = Raw::open(home.path());
    let text = raw.get(a3s_box_store::sys::a3s_snapshot_get, "full");
    assert!(
        text.contains(r#""created_at":"2026-06-17T08:00:00.000000001Z""#),
        "{text}"
    );
    assert_eq!(same_bytes::<SnapshotMetadata>(&text), full);
    let text = raw.get(a3s_box_store::sys::a3s_snapshot_get, "bare");
    assert!(
        !text.contains("image_config") && !text.contains("health_check"),
        "{text}"
    );
    assert!(
        text.contains(r#""entrypoint":null,"workdir":null,"healthcheck_disabled":false"#),
        "{text}"
    );
    assert_eq!(same_bytes::<SnapshotMetadata>(&text), bare);
    let all: Vec<SnapshotMetadata> = same_bytes(&raw.list(a3s_box_store::sys::a3s_snapshot_list));
    assert_eq!(all, vec![full, bare]);
}

#[test]
fn times_keep_every_fraction_width() {
    let home = TempDir::new();
    let store = Store::open(home.path()).unwrap();
    let snapshots = store.snapshots();
    let raw = Raw::open(home.path());
    for (i, (nanos, written)) in [
        (0, "2026-06-17T08:00:00Z"),
        (100_000_000, "2026-06-17T08:00:00.100Z"),
        (123_456_000, "2026-06-17T08:00:00.123456Z"),
        (999_999_999, "2026-06-17T08:00:00.999999999Z"),
    ]
    .iter()
    .enumerate()
    {
        let mut s = SnapshotMetadata::new(format!("t{i}"), "t".to_string(), "b".to_string(), "i".to_string());
        s.created_at = at(1_781_683_200, *nanos);
        snapshots.save(s.clone(), &home.path().join("none")).unwrap();
        let text = raw.get(a3s_box_store::sys::a3s_snapshot_get, &format!("t{i}"));
        assert!(text.contains(&format!(r#""created_at":"{written}""#)), "{text}");
        assert_eq!(same_bytes::<SnapshotMetadata>(&text), s);
    }
}

/// chrono writes and reads any time of years 0000 to 9999, and keeps a leap
/// second (`23:59:60.5`) as one: the engine gives each back equal.
#[test]
fn every_time_chrono_writes_comes_back_equal() {
    use chrono::NaiveDate;
    let home = TempDir::new();
    let snapshots = Store::open(home.path()).unwrap().snapshots();
    let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
        .unwrap()
        .and_hms_nano_opt(23, 59, 59, 1_500_000_000);
    let times = [
        NaiveDate::from_ymd_opt(0, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap(),
        NaiveDate::from_ymd_opt(1, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap(),
        NaiveDate::from_ymd_opt(9999, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 999_999_999)
            .unwrap(),
        leap.unwrap(),
    ];
    for (i, time) in times.iter().enumerate() {
        let mut s = SnapshotMetadata::new(format!("t{i}"), "t".to_string(), "b".to_string(), "i".to_string());
        s.created_at = Utc.from_utc_datetime(time);
        let saved = snapshots.save(s.clone(), &home.path().join("none"));
        assert_eq!(saved, Ok(s), "{time}");
    }
}

#[test]
fn an_image_round_trips_byte_for_byte() {
    let home = TempDir::new();
    let store = Store::open(home.path()).unwrap();
    let images = store.images();
    let digest = "sha256:804658e22c3fcf82867343d685d090a2b3851e0581e7a032871c86f7c5c986f7";
    let layout = legacy_home().join("images/sha256").join(&digest[7..]);
    let put = block_on(images.put("docker.io/library/alpine:latest", digest, &layout)).unwrap();
    assert_eq!(put.path, home.path().join("images/sha256").join(&digest[7..]));

    let raw = Raw::open(home.path());
    let read: StoredImage = same_bytes(&raw.get(
        a3s_box_store::sys::a3s_image_get,
        "docker.io/library/alpine:latest",
    ));
    assert_eq!(
        (read.reference.as_str(), read.digest.as_str(), read.size_bytes),
        (put.reference.as_str(), digest, put.size_bytes)
    );
    let all: Vec<StoredImage> = same_bytes(&raw.list(a3s_box_store::sys::a3s_image_list));
    assert_eq!(all.len(), 1);
}

#[derive(serde::Deserialize)]
struct NetworksFile {
    networks: HashMap<String, NetworkConfig>,
}

#[derive(serde::Deserialize)]
struct VolumesFile {
    volumes: HashMap<String, VolumeConfig>,
}

#[derive(serde::Deserialize)]
struct ImagesFile {
    images: Vec<StoredImage>,
}

fn read_json<T: DeserializeOwned>(path: &Path) -> T {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Bytes of the regular files under `dir`.
fn tree_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                tree_bytes(&entry.path())
            } else if kind.is_file() {
                entry.metadata().unwrap().len()
            } else {
                0
            }
        })
        .sum()
}

#[test]
fn the_legacy_home_reads_with_these_types_and_the_engine_keeps_it() {
    let legacy = legacy_home();
    let home = TempDir::new();
    let store = Store::open(home.path()).unwrap();

    let networks = read_json::<NetworksFile>(&legacy.join("networks.json")).networks;
    assert_eq!(networks["backend"].driver, "bridge");
    assert_eq!(
        networks["frontend"].endpoints["box-b"].aliases,
        Vec::<String>::new()
    );
    assert_eq!(
        networks["frontend"].endpoints["box-a"].ip_address,
        std::net::Ipv4Addr::new(10, 88, 0, 2)
    );
    for config in networks.values() {
        store.networks().create(config.clone()).unwrap();
        assert_eq!(store.networks().get(&config.name).unwrap().as_ref(), Some(config));
    }

    let volumes = read_json::<VolumesFile>(&legacy.join("volumes.json")).volumes;
    assert_eq!(volumes["cache"].driver, "local");
    assert_eq!(volumes["pgdata"].size_limit, 10 << 30);
    for config in volumes.values() {
        let created = store.volumes().create(config.clone()).unwrap();
        assert_eq!(
            VolumeConfig {
                mount_point: config.mount_point.clone(),
                ..created
            },
            *config
        );
    }

    for id in ["snap-001", "snap-002"] {
        let dir = legacy.join("snapshots").join(id);
        let metadata: SnapshotMetadata = read_json(&dir.join("metadata.json"));
        let saved = store
            .snapshots()
            .save(metadata.clone(), &dir.join("rootfs"))
            .unwrap();
        // The engine sets size_bytes to what it copied; the fixture's is made up.
        assert_eq!(saved.size_bytes, tree_bytes(&dir.join("rootfs")));
        assert_eq!(
            SnapshotMetadata {
                size_bytes: metadata.size_bytes,
                ..saved.clone()
            },
            metadata
        );
        assert_eq!(store.snapshots().get(id).unwrap(), Some(saved));
    }
    let old = store.snapshots().get("snap-002").unwrap().unwrap();
    assert_eq!(
        (old.created_at, old.description.as_str(), old.entrypoint),
        (at(0, 0), "", None)
    );

    let images = read_json::<ImagesFile>(&legacy.join("images/index.json")).images;
    assert_eq!(images[2].pulled_at, at(1_781_596_800, 500_000_000));
    for image in &images {
        let layout = legacy.join("images/sha256").join(&image.digest[7..]);
        let put = block_on(store.images().put(&image.reference, &image.digest, &layout)).unwrap();
        assert_eq!(
            (put.digest.as_str(), put.size_bytes),
            (image.digest.as_str(), tree_bytes(&layout))
        );
    }
}
