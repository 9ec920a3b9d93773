//! Authenticated push: the ID tokens a push subscription with an
//! `oidcToken` sends in `Authorization: Bearer`, and the public keys to
//! check them, published as a JWKS on the control surface
//! (`GET /_lockstep/v1/pubsub/jwks`; Google publishes its own at
//! https://www.googleapis.com/oauth2/v3/certs).
//!
//! The token is an RS256 JWT with Google's claims: `iss`
//! `https://accounts.google.com`, `aud` (the subscription's audience, else
//! the push endpoint URL), `email` (the service account), `email_verified`,
//! `iat`, `exp`, `sub`, `azp`.
//!
//! Our choices where Google's documentation is silent: one 2048-bit key per
//! mock, made when first needed (tests that never push with a token never
//! pay for it); `sub` and `azp` are the service account's email (Google
//! uses its numeric id); tokens last an hour from wall time (the consumer
//! checks them against its own clock, not the mock's virtual one); a new
//! token for every push attempt.

use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, RSAKeyParameters, RSAKeyType,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The JWKS a push consumer checks tokens against.
pub type Jwks = JwkSet;

/// The issuer Google's push tokens name.
const ISSUER: &str = "https://accounts.google.com";

/// How long a token is valid.
const LIFETIME: Duration = Duration::from_secs(3600);

struct Key {
    kid: String,
    encoding: EncodingKey,
    jwk: Jwk,
}

/// The mock's signing key, made on first use.
#[derive(Default)]
pub struct Signer {
    key: OnceLock<Result<Key, String>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("made", &self.key.get().is_some()).finish()
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    azp: &'a str,
    sub: &'a str,
    email: &'a str,
    email_verified: bool,
    iat: u64,
    exp: u64,
}

fn make_key() -> Result<Key, String> {
    let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|e| e.to_string())?;
    let der = private.to_pkcs1_der().map_err(|e| e.to_string())?;
    let encoding = EncodingKey::from_rsa_der(der.as_bytes());
    let b64 = |n: &rsa::BigUint| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(n.to_bytes_be())
    };
    let public = private.to_public_key();
    // A key id that names this key: the first bytes of its modulus.
    let kid = b64(public.n()).chars().take(16).collect::<String>();
    let jwk = Jwk {
        common: CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(KeyAlgorithm::RS256),
            key_id: Some(kid.clone()),
            ..Default::default()
        },
        algorithm: AlgorithmParameters::RSA(RSAKeyParameters {
            key_type: RSAKeyType::RSA,
            n: b64(public.n()),
            e: b64(public.e()),
        }),
    };
    Ok(Key { kid, encoding, jwk })
}

impl Signer {
    /// A signer whose key is made when first needed.
    pub fn generate() -> Self {
        Signer::default()
    }

    fn key(&self) -> Result<&Key, String> {
        self.key.get_or_init(make_key).as_ref().map_err(Clone::clone)
    }

    /// Make the key now (it takes a while) if it is not made yet.
    pub(crate) fn warm(&self) {
        let _ = self.key();
    }

    /// The public key(s), as a JWKS.
    pub fn jwks(&self) -> Jwks {
        JwkSet { keys: self.key().map(|k| vec![k.jwk.clone()]).unwrap_or_default() }
    }

    /// An ID token for `email`, addressed to `audience`.
    pub fn sign(&self, email: &str, audience: &str) -> Result<String, String> {
        let key = self.key()?;
        let iat = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        let claims = Claims {
            iss: ISSUER,
            aud: audience,
            azp: email,
            sub: email,
            email,
            email_verified: true,
            iat,
            exp: iat + LIFETIME.as_secs(),
        };
        let header = Header { kid: Some(key.kid.clone()), ..Header::new(Algorithm::RS256) };
        jsonwebtoken::encode(&header, &claims, &key.encoding).map_err(|e| e.to_string())
    }
}
