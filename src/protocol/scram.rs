//! SCRAM-SHA-256 (RFC 5802 / RFC 7677) as PostgreSQL uses it: the server
//! stores only a verifier `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>`
//! and proves it knows it, while the client proves it knows the password.
//! Channel binding is not offered (no TLS yet), so clients send `n,,`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub const MECHANISM: &str = "SCRAM-SHA-256";
const ITERATIONS: u32 = 4096;

/// A stored password verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verifier {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub stored_key: [u8; 32],
    pub server_key: [u8; 32],
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// PBKDF2-HMAC-SHA-256 with one output block (RFC 5802's `Hi`).
fn hi(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut block = salt.to_vec();
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(password, &block);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password, &u);
        out.iter_mut().zip(u.iter()).for_each(|(o, x)| *o ^= x);
    }
    out
}

impl Verifier {
    /// Make a verifier for a password with a fresh random salt.
    pub fn new(password: &str) -> Verifier {
        let mut salt = vec![0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        Verifier::with_salt(password, salt, ITERATIONS)
    }

    pub fn with_salt(password: &str, salt: Vec<u8>, iterations: u32) -> Verifier {
        let salted = hi(password.as_bytes(), &salt, iterations);
        let client_key = hmac(&salted, b"Client Key");
        let stored_key: [u8; 32] = Sha256::digest(client_key).into();
        let server_key = hmac(&salted, b"Server Key");
        Verifier { iterations, salt, stored_key, server_key }
    }

    /// PostgreSQL's text form of a verifier (`pg_authid.rolpassword`).
    pub fn encode(&self) -> String {
        format!(
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            B64.encode(&self.salt),
            B64.encode(self.stored_key),
            B64.encode(self.server_key)
        )
    }

    pub fn decode(text: &str) -> Option<Verifier> {
        let rest = text.trim().strip_prefix("SCRAM-SHA-256$")?;
        let (params, keys) = rest.split_once('$')?;
        let (iter, salt) = params.split_once(':')?;
        let (stored, server) = keys.split_once(':')?;
        Some(Verifier {
            iterations: iter.parse().ok()?,
            salt: B64.decode(salt).ok()?,
            stored_key: B64.decode(stored).ok()?.try_into().ok()?,
            server_key: B64.decode(server).ok()?.try_into().ok()?,
        })
    }
}

/// Why an exchange failed.
#[derive(Debug, PartialEq, Eq)]
pub enum ScramError {
    /// The client's messages do not follow the protocol.
    Malformed(&'static str),
    /// The proof does not match: wrong password.
    WrongPassword,
}

/// The server's side of one exchange.
pub struct ServerExchange {
    verifier: Verifier,
    client_first_bare: String,
    server_first: String,
    nonce: String,
}

impl ServerExchange {
    /// Take the client-first-message; return the exchange and the server-first-message.
    pub fn start(verifier: Verifier, client_first: &str) -> Result<(ServerExchange, String), ScramError> {
        let bare = match client_first.as_bytes().first() {
            Some(b'n') | Some(b'y') => {
                let mut parts = client_first.splitn(3, ',');
                let _cbind = parts.next();
                let _authzid = parts.next().ok_or(ScramError::Malformed("missing authzid"))?;
                parts.next().ok_or(ScramError::Malformed("missing client-first-message-bare"))?
            }
            Some(b'p') => return Err(ScramError::Malformed("channel binding is not supported")),
            _ => return Err(ScramError::Malformed("invalid GS2 header")),
        };
        let client_nonce = bare
            .split(',')
            .find_map(|a| a.strip_prefix("r="))
            .filter(|n| !n.is_empty())
            .ok_or(ScramError::Malformed("missing nonce"))?;
        let mut raw = [0u8; 18];
        rand::rng().fill_bytes(&mut raw);
        let nonce = format!("{client_nonce}{}", B64.encode(raw));
        let server_first = format!("r={nonce},s={},i={}", B64.encode(&verifier.salt), verifier.iterations);
        let ex =
            ServerExchange { verifier, client_first_bare: bare.to_string(), server_first: server_first.clone(), nonce };
        Ok((ex, server_first))
    }

    /// Take the client-final-message; return the server-final-message if the proof holds.
    pub fn finish(self, client_final: &str) -> Result<String, ScramError> {
        let (without_proof, proof) = client_final.rsplit_once(",p=").ok_or(ScramError::Malformed("missing proof"))?;
        let nonce = without_proof
            .split(',')
            .find_map(|a| a.strip_prefix("r="))
            .ok_or(ScramError::Malformed("missing nonce"))?;
        if nonce != self.nonce {
            return Err(ScramError::Malformed("nonce mismatch"));
        }
        let proof: [u8; 32] =
            B64.decode(proof).ok().and_then(|p| p.try_into().ok()).ok_or(ScramError::Malformed("invalid proof"))?;
        let auth_message = format!("{},{},{}", self.client_first_bare, self.server_first, without_proof);
        let signature = hmac(&self.verifier.stored_key, auth_message.as_bytes());
        let mut client_key = proof;
        client_key.iter_mut().zip(signature.iter()).for_each(|(k, s)| *k ^= s);
        let computed: [u8; 32] = Sha256::digest(client_key).into();
        // Constant-time comparison: the proof must not leak through timing.
        let diff = computed.iter().zip(self.verifier.stored_key.iter()).fold(0u8, |d, (a, b)| d | (a ^ b));
        if diff != 0 {
            return Err(ScramError::WrongPassword);
        }
        let server_signature = hmac(&self.verifier.server_key, auth_message.as_bytes());
        Ok(format!("v={}", B64.encode(server_signature)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client's side, enough to drive the server in tests.
    fn client_final(password: &str, client_first_bare: &str, server_first: &str) -> String {
        let mut salt = None;
        let mut iters = 0;
        let mut nonce = "";
        for a in server_first.split(',') {
            if let Some(s) = a.strip_prefix("s=") {
                salt = Some(B64.decode(s).unwrap());
            } else if let Some(i) = a.strip_prefix("i=") {
                iters = i.parse().unwrap();
            } else if let Some(r) = a.strip_prefix("r=") {
                nonce = r;
            }
        }
        let salted = hi(password.as_bytes(), &salt.unwrap(), iters);
        let client_key = hmac(&salted, b"Client Key");
        let stored: [u8; 32] = Sha256::digest(client_key).into();
        let without_proof = format!("c=biws,r={nonce}");
        let auth = format!("{client_first_bare},{server_first},{without_proof}");
        let sig = hmac(&stored, auth.as_bytes());
        let proof: Vec<u8> = client_key.iter().zip(sig.iter()).map(|(a, b)| a ^ b).collect();
        format!("{without_proof},p={}", B64.encode(proof))
    }

    #[test]
    fn right_password_passes_wrong_fails() {
        let v = Verifier::new("secret");
        assert_eq!(Verifier::decode(&v.encode()), Some(v.clone()));
        let (ex, first) = ServerExchange::start(v.clone(), "n,,n=,r=abc").unwrap();
        assert!(ex.finish(&client_final("secret", "n=,r=abc", &first)).unwrap().starts_with("v="));
        let (ex, first) = ServerExchange::start(v, "n,,n=,r=abc").unwrap();
        assert_eq!(ex.finish(&client_final("nope", "n=,r=abc", &first)), Err(ScramError::WrongPassword));
    }

    #[test]
    fn rfc7677_test_vector_keys() {
        // RFC 7677 section 3: password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let v = Verifier::with_salt("pencil", salt, 4096);
        let ex = ServerExchange {
            verifier: v,
            client_first_bare: "n=user,r=rOprNGfwEbeRWgbNEkqO".into(),
            server_first: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
                .into(),
            nonce: "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0".into(),
        };
        let final_msg = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
        assert_eq!(ex.finish(final_msg).unwrap(), "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    }
}
