//! Passwords from the OS keyring (Linux kernel keyutils): `config
//! set-password` stores one, `collect` logs in with it against the TDS test
//! server, `forget-password` removes it, and a missing entry says how to
//! fall back. The password never appears in any output.

use std::process::Output;

use crate::support::{demo_instances, ServerOptions, TdsServer, NOW};

const PASSWORD: &str = "s3cret!";

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_chainwatch"));
    c.args(args).env("NO_COLOR", "1");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn collect_logs_in_with_the_keyring_password() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let served = demo_instances(NOW).remove("SQL16\\PROD").unwrap();
    let server = rt.block_on(TdsServer::start(served, ServerOptions::default()));
    let dir = std::env::temp_dir().join(format!("chainwatch-keyring-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let entry = format!("chainwatch-test-{}", std::process::id());
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[instance]]\nname = 'SQL16\\PROD'\nconnection = \"Server=tcp:{},{};User ID=monitor;Encrypt=DANGER_PLAINTEXT\"\npassword_keyring = \"{entry}\"\n",
            server.addr.ip(),
            server.addr.port()
        ),
    )
    .unwrap();
    let config = config.to_string_lossy().into_owned();
    let out = dir.join("live.json").to_string_lossy().into_owned();
    let collect = [
        "collect",
        "--config",
        &config,
        "--instance",
        "SQL16\\PROD",
        "-o",
        &out,
    ];

    let _ = run(
        &[
            "config",
            "forget-password",
            "--config",
            &config,
            "--instance",
            "SQL16\\PROD",
        ],
        &[],
    );
    let before = run(&collect, &[]);
    assert!(
        !before.status.success() || text(&before).contains("no password"),
        "{}",
        text(&before)
    );
    assert!(
        text(&before).contains("no password for"),
        "{}",
        text(&before)
    );
    assert!(
        text(&before).contains("password_env"),
        "the fallback is named: {}",
        text(&before)
    );

    let set = run(
        &[
            "config",
            "set-password",
            "--config",
            &config,
            "--instance",
            "SQL16\\PROD",
            "--from-env",
            "CW_KEYRING_TEST_PW",
        ],
        &[("CW_KEYRING_TEST_PW", PASSWORD)],
    );
    assert!(set.status.success(), "{}", text(&set));
    let after = run(&collect, &[]);
    assert!(after.status.success(), "{}", text(&after));
    let snapshot = std::fs::read_to_string(&out).unwrap();
    assert!(snapshot.contains("msdb.dbo.backupset"));
    for o in [&set, &after] {
        assert!(!text(o).contains(PASSWORD));
    }
    assert!(!snapshot.contains(PASSWORD));

    let forget = run(
        &[
            "config",
            "forget-password",
            "--config",
            &config,
            "--instance",
            "SQL16\\PROD",
        ],
        &[],
    );
    assert!(forget.status.success(), "{}", text(&forget));
    let again = run(&collect, &[]);
    assert!(text(&again).contains("no password for"), "{}", text(&again));
}

#[test]
fn one_password_source_only() {
    let dir = std::env::temp_dir().join(format!("chainwatch-keyring-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "[[instance]]\nname = 'A'\nconnection = \"Server=tcp:h,1;User ID=u\"\npassword_env = \"X\"\npassword_keyring = true\n",
    )
    .unwrap();
    let out = run(
        &["config", "check", "--config", &config.to_string_lossy()],
        &[],
    );
    assert!(
        !out.status.success() || text(&out).contains("give one of"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("give one of password_env, password_prompt or password_keyring"),
        "{}",
        text(&out)
    );
    let out = run(
        &[
            "config",
            "set-password",
            "--config",
            &config.to_string_lossy(),
            "--instance",
            "A",
        ],
        &[],
    );
    assert!(!out.status.success());
}
