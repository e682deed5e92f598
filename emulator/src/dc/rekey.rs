//! The database side of key custody ([`super::custody`]): which master key the stored
//! data is sealed under (its fingerprint, table `key_custody`), the start-up check that
//! the custodians' shares rebuild that key, and rotation (every sealed field re-sealed
//! under a new key in one transaction).

use super::custody::MasterKey;
use super::protect::FieldCipher;
use rusqlite::{params, Connection, OptionalExtension};

/// The fingerprint of the master key the database is sealed under (None: the database
/// has never been opened with custodian shares).
pub fn recorded(c: &Connection) -> Result<Option<String>, String> {
    c.query_row(
        "SELECT fingerprint FROM key_custody WHERE id = 1",
        [],
        |r| r.get(0),
    )
    .optional()
    .map_err(|e| format!("database: {e}"))
}

/// At start-up: the key the shares rebuilt must be the one the database records (a
/// database that records none is from now on sealed under it); no shares for a database
/// that records a key is refused too.
pub fn check(c: &Connection, key: Option<&MasterKey>, now: i64) -> Result<(), String> {
    match (recorded(c)?, key) {
        (None, None) => Ok(()),
        (Some(fp), None) => Err(format!(
            "the database is sealed under the custodians' master key {fp}: pass k of its share files (--share FILE)"
        )),
        (Some(fp), Some(k)) if fp != k.fingerprint() => Err(format!(
            "the shares rebuild master key {}, but the database is sealed under key {fp} (shares of an old key after a rotation?)",
            k.fingerprint()
        )),
        (Some(_), Some(_)) => Ok(()),
        (None, Some(k)) => record(c, k, now),
    }
}

fn record(c: &Connection, key: &MasterKey, now: i64) -> Result<(), String> {
    c.execute(
        "INSERT INTO key_custody(id, fingerprint, since) VALUES (1, ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET fingerprint = excluded.fingerprint, since = excluded.since",
        params![key.fingerprint(), now],
    )
    .map(drop)
    .map_err(|e| format!("database: {e}"))
}

/// A card's sealed fields: number, ID (internal), ID (external), name.
type SealedCard = (String, Vec<u8>, Vec<u8>, Vec<u8>);

/// The ciphers of one master key.
struct Ciphers {
    internal: FieldCipher,
    external: FieldCipher,
}

impl Ciphers {
    fn of(k: &MasterKey) -> Result<Ciphers, String> {
        Ok(Ciphers {
            internal: FieldCipher::new(&k.field_key_internal())?,
            external: FieldCipher::new(&k.field_key_external())?,
        })
    }
}

/// Re-seals every card holder's ID number and name (and the lookup hash) from `old` to
/// `new`, and the decryption requests' files, in one transaction, and records `new`.
/// Nothing changes when any field does not open under `old` (the error names it).
pub fn rotate(
    c: &mut Connection,
    old: &MasterKey,
    new: &MasterKey,
    now: i64,
) -> Result<Rotated, String> {
    if let Some(fp) = recorded(c)? {
        if fp != old.fingerprint() {
            return Err(format!(
                "the old shares rebuild key {}, but the database is sealed under key {fp}",
                old.fingerprint()
            ));
        }
    }
    let (o, n) = (Ciphers::of(old)?, Ciphers::of(new)?);
    let db = |e: rusqlite::Error| format!("database: {e}");
    let tx = c.transaction().map_err(db)?;
    let cards: Vec<SealedCard> = {
        let mut st = tx
            .prepare("SELECT card_no, id_enc, id_ext, name_enc FROM cards ORDER BY card_no")
            .map_err(db)?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)?
    };
    for (card_no, id_enc, id_ext, name_enc) in &cards {
        let open = |f: &FieldCipher, field: &str, v: &[u8]| {
            f.open(field, v).map_err(|e| {
                format!("card {card_no}: {field} does not open under the old key ({e})")
            })
        };
        let id = open(&o.internal, "id_no", id_enc)?;
        let id_external = open(&o.external, "id_no", id_ext)?;
        let name = open(&o.internal, "name", name_enc)?;
        tx.execute(
            "UPDATE cards SET id_enc = ?2, id_hash = ?3, id_ext = ?4, name_enc = ?5 WHERE card_no = ?1",
            params![
                card_no,
                n.internal.seal("id_no", &id)?,
                n.internal.lookup_hash(&id),
                n.external.seal("id_no", &id_external)?,
                n.internal.seal("name", &name)?,
            ],
        )
        .map_err(db)?;
        // Passbook tickets (seed 003) name their person by the same keyed hash.
        tx.execute(
            "UPDATE passbook_tickets SET id_hash = ?2 WHERE id_hash = ?1",
            params![o.internal.lookup_hash(&id), n.internal.lookup_hash(&id)],
        )
        .map_err(db)?;
    }
    let files = reseal_files(&tx, &o, &n)?;
    record(&tx, new, now)?;
    tx.commit().map_err(db)?;
    Ok(Rotated {
        cards: cards.len(),
        files,
    })
}

/// What a rotation re-sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotated {
    /// Card holders (ID number, name, external ID, lookup hash).
    pub cards: usize,
    /// Decryption-request files (input and output, dc/decrypt_files.rs).
    pub files: usize,
}

/// Re-seals the decryption requests' files (dc/decrypt_files.rs).
fn reseal_files(tx: &Connection, o: &Ciphers, n: &Ciphers) -> Result<usize, String> {
    let db = |e: rusqlite::Error| format!("database: {e}");
    let files: Vec<(String, Vec<u8>, Option<Vec<u8>>)> = {
        let mut st = tx
            .prepare("SELECT request_no, input, output FROM decrypt_files ORDER BY request_no")
            .map_err(db)?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(db)?;
        rows.collect::<Result<_, _>>().map_err(db)?
    };
    let reseal = |no: &str, field: &str, v: &[u8]| -> Result<Vec<u8>, String> {
        let plain = o
            .internal
            .open(field, v)
            .map_err(|e| format!("request {no}: {field} does not open under the old key ({e})"))?;
        n.internal.seal(field, &plain)
    };
    for (no, input, output) in &files {
        let input = reseal(no, "decrypt input", input)?;
        let output = output
            .as_deref()
            .map(|v| reseal(no, "decrypt output", v))
            .transpose()?;
        tx.execute(
            "UPDATE decrypt_files SET input = ?2, output = ?3 WHERE request_no = ?1",
            params![no, input, output],
        )
        .map_err(db)?;
    }
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_with_card(k: &MasterKey) -> Connection {
        let c = Connection::open_in_memory().unwrap();
        super::super::store::migrate(&c).unwrap();
        let ci = Ciphers::of(k).unwrap();
        c.execute(
            "INSERT INTO cards(card_no, id_enc, id_hash, id_ext, name_enc, birthday, sex, identity_status, valid_until)
             VALUES ('c1', ?1, ?2, ?3, ?4, '0700101', 'M', '0', 0)",
            params![
                ci.internal.seal("id_no", "A123456789").unwrap(),
                ci.internal.lookup_hash("A123456789"),
                ci.external.seal("id_no", "A123456789").unwrap(),
                ci.internal.seal("name", "黃小明").unwrap()
            ],
        )
        .unwrap();
        c
    }

    #[test]
    fn rotation_reseals_and_records_the_new_key() {
        let (old, new) = (
            MasterKey::from_bytes([1; 32]),
            MasterKey::from_bytes([2; 32]),
        );
        let mut c = db_with_card(&old);
        check(&c, Some(&old), 5).unwrap();
        assert!(check(&c, None, 5).unwrap_err().contains(&old.fingerprint()));
        assert_eq!(
            rotate(&mut c, &old, &new, 6).unwrap(),
            Rotated { cards: 1, files: 0 }
        );
        assert_eq!(recorded(&c).unwrap(), Some(new.fingerprint()));
        let e = check(&c, Some(&old), 7).unwrap_err();
        assert!(
            e.contains(&new.fingerprint()) && e.contains(&old.fingerprint()),
            "{e}"
        );
        let (id_enc, hash): (Vec<u8>, String) = c
            .query_row("SELECT id_enc, id_hash FROM cards", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        let n = Ciphers::of(&new).unwrap();
        assert_eq!(n.internal.open("id_no", &id_enc).unwrap(), "A123456789");
        assert_eq!(hash, n.internal.lookup_hash("A123456789"));
        // Rotating again with the stale key is refused, nothing changes.
        assert!(rotate(&mut c, &old, &MasterKey::from_bytes([3; 32]), 8).is_err());
        assert_eq!(recorded(&c).unwrap(), Some(new.fingerprint()));
    }

    #[test]
    fn a_field_under_another_key_aborts_the_whole_rotation() {
        let other = MasterKey::from_bytes([7; 32]);
        let mut c = db_with_card(&other);
        let e = rotate(
            &mut c,
            &MasterKey::from_bytes([1; 32]),
            &MasterKey::from_bytes([2; 32]),
            1,
        )
        .unwrap_err();
        assert!(e.contains("card c1"), "{e}");
        assert_eq!(recorded(&c).unwrap(), None);
    }
}
