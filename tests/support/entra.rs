//! What a test of Entra ID against Azurite needs: a private CA and a server
//! certificate for 127.0.0.1 (rcgen), and access tokens of the shape
//! Azurite's `--oauth basic` accepts (a JWT whose issuer, audience and
//! lifetime it checks; the signature it does not).

#![allow(dead_code)]

use std::path::PathBuf;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// PEM files in a temp folder: `ca.pem` (trust this), `server.pem` and
/// `server-key.pem` (Azurite serves these). Removed on drop.
pub struct TestPki {
    pub dir: PathBuf,
}

impl TestPki {
    pub fn new(name: &str) -> TestPki {
        let dir = std::env::temp_dir().join(format!("cw-pki-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name
            .push(DnType::CommonName, "chainwatch test CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        let mut server =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        server
            .distinguished_name
            .push(DnType::CommonName, "azurite test");
        server.is_ca = IsCa::ExplicitNoCa;
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let key = KeyPair::generate().unwrap();
        let cert = server.signed_by(&key, &ca).unwrap();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.join("server.pem"), cert.pem()).unwrap();
        std::fs::write(dir.join("server-key.pem"), key.serialize_pem()).unwrap();
        TestPki { dir }
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
    pub fn cert(&self) -> PathBuf {
        self.dir.join("server.pem")
    }
    pub fn key(&self) -> PathBuf {
        self.dir.join("server-key.pem")
    }
}

impl Drop for TestPki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A JWT for storage valid from `nbf` to `exp` (Unix seconds), with a
/// distinctive `marker` claim so leaks are easy to search for.
pub fn token(nbf: i64, exp: i64, audience: &str, marker: &str) -> String {
    let header = r#"{"typ":"JWT","alg":"RS256","kid":"chainwatch-test"}"#;
    let claims = format!(
        r#"{{"aud":"{audience}","iss":"https://sts.windows.net/72f988bf-0000-0000-0000-2d7cd011db47/","iat":{nbf},"nbf":{nbf},"exp":{exp},"oid":"00000000-0000-0000-0000-000000000001","scp":"user_impersonation","marker":"{marker}"}}"#
    );
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims),
        URL_SAFE_NO_PAD.encode(format!("not-a-signature-{marker}"))
    )
}

/// A storage token valid for the next hour.
pub fn fresh_token(marker: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    token(now - 60, now + 3600, "https://storage.azure.com", marker)
}

/// A storage token that expired ten minutes ago.
pub fn expired_token(marker: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    token(now - 7200, now - 600, "https://storage.azure.com", marker)
}
