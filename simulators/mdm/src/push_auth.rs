//! Authenticated push: when configured, the Pub/Sub push endpoint accepts a
//! message only with `Authorization: Bearer <ID token>` that Pub/Sub (or the
//! AMAPI mock standing in for it) signed for the push subscription's
//! service account, as Google documents for push authentication: an RS256
//! JWT whose signature checks against the issuer's JWKS, `iss`
//! `https://accounts.google.com` (or `accounts.google.com`), the configured
//! `aud`, an unexpired `exp`, `email_verified`, and, when configured, the
//! expected service account `email`.
//!
//! Our choices: the JWKS is fetched on first use and fetched again when a
//! token names a key id it does not hold (key rotation); a refused push is
//! answered 401, so Pub/Sub retries it and a forger learns nothing more.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// What an authenticated push must show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushAuth {
    /// Where the signing keys are (Google: https://www.googleapis.com/oauth2/v3/certs;
    /// the AMAPI mock: `{base}/_lockstep/v1/pubsub/jwks`).
    pub jwks_url: String,
    /// The expected `aud`: the subscription's audience (or its push endpoint URL).
    pub audience: String,
    /// The expected `email`, when set.
    pub service_account: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    email: String,
    #[serde(default)]
    email_verified: bool,
}

/// Checks push tokens against [`PushAuth`].
#[derive(Debug)]
pub(crate) struct PushVerifier {
    auth: PushAuth,
    http: reqwest::Client,
    keys: tokio::sync::Mutex<Option<JwkSet>>,
}

impl PushVerifier {
    pub(crate) fn new(auth: PushAuth) -> Self {
        PushVerifier { auth, http: reqwest::Client::new(), keys: tokio::sync::Mutex::new(None) }
    }

    async fn fetch(&self) -> Result<JwkSet, String> {
        let response = self.http.get(&self.auth.jwks_url).send().await.map_err(|e| format!("JWKS: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("JWKS: {} answered {}", self.auth.jwks_url, response.status()));
        }
        response.json::<JwkSet>().await.map_err(|e| format!("JWKS: {e}"))
    }

    async fn key(&self, kid: &str) -> Result<DecodingKey, String> {
        let mut keys = self.keys.lock().await;
        let known = keys.as_ref().and_then(|k| k.find(kid)).is_some();
        if !known {
            *keys = Some(self.fetch().await?);
        }
        let jwk = keys.as_ref().and_then(|k| k.find(kid)).ok_or_else(|| format!("no key {kid} in the JWKS"))?;
        DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())
    }

    /// Ok when `authorization` carries a valid token; else why not.
    pub(crate) async fn verify(&self, authorization: Option<&str>) -> Result<(), String> {
        let token = authorization
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .ok_or("no bearer token")?;
        let header = jsonwebtoken::decode_header(token).map_err(|e| format!("not a JWT: {e}"))?;
        if header.alg != Algorithm::RS256 {
            return Err(format!("algorithm {:?}, not RS256", header.alg));
        }
        let kid = header.kid.ok_or("the token names no key id")?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&["https://accounts.google.com", "accounts.google.com"]);
        validation.set_audience(&[&self.auth.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data =
            jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| format!("token refused: {e}"))?;
        if !data.claims.email_verified {
            return Err("email_verified is not true".into());
        }
        if let Some(expected) = &self.auth.service_account {
            if &data.claims.email != expected {
                return Err(format!("signed for {}, not {expected}", data.claims.email));
            }
        }
        Ok(())
    }
}
