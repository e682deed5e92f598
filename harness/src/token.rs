//! What the harness does to a DC-issued QR token (`header.payload.signature`) to provoke
//! the SUT's refusals: garble its format, or forge its signature.

/// The token with its dots removed, as a mangled QR scan gives it (a format error).
pub fn garble(token: &str) -> String {
    token.replace('.', "")
}

/// The token with one character in the middle of its signature changed (`A`↔`B`): still
/// well formed, but the signature no longer verifies. None when the token has no
/// signature characters to change (it could not be forged, only passed on unchanged).
pub fn forge_signature(token: &str) -> Option<String> {
    let (head, sig) = match token.rsplit_once('.') {
        Some((head, sig)) => (Some(head), sig),
        None => (None, token),
    };
    let mut chars: Vec<char> = sig.chars().collect();
    let middle = chars.len() / 2;
    let c = chars.get_mut(middle)?;
    *c = if *c == 'A' { 'B' } else { 'A' };
    let sig: String = chars.into_iter().collect();
    Some(match head {
        Some(h) => format!("{h}.{sig}"),
        None => sig,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forging_changes_one_signature_character_and_never_panics() {
        assert_eq!(
            forge_signature("AAA.BBB.CAD").as_deref(),
            Some("AAA.BBB.CBD")
        );
        assert_eq!(forge_signature("x.y.B").as_deref(), Some("x.y.A"));
        assert_eq!(forge_signature("x.y."), None);
        assert_eq!(forge_signature(""), None);
        assert_eq!(garble("a.b.c"), "abc");
    }
}
