//! PC/SC v2 part 10 facts the driver answers with: the feature list of a reader with a PIN
//! pad and its PIN properties (pcsc-lite's reader.h has the same numbers).

/// `SCARD_CTL_CODE(code)` of pcsc-lite on Unix.
pub const fn scard_ctl_code(code: u32) -> u32 {
    0x4200_0000 + code
}

/// `CM_IOCTL_GET_FEATURE_REQUEST`: the list of part 10 features.
pub const CM_IOCTL_GET_FEATURE_REQUEST: u32 = scard_ctl_code(3400);

/// Feature tags (part 10).
pub mod feature {
    /// Verify the PIN typed on the pad.
    pub const VERIFY_PIN_DIRECT: u8 = 0x06;
    /// Change the PIN typed on the pad.
    pub const MODIFY_PIN_DIRECT: u8 = 0x07;
    /// The pad's properties.
    pub const IFD_PIN_PROPERTIES: u8 = 0x0A;
}

/// The control code of a feature, as CCID drivers number them
/// (`SCARD_CTL_CODE(0x330000 + feature)`), so clients that hard-code them work too.
pub const fn ioctl_of(feature: u8) -> u32 {
    scard_ctl_code(0x33_0000 + feature as u32)
}

/// The features a reader with a pad offers, in reply order.
pub const PAD_FEATURES: [u8; 3] = [
    feature::VERIFY_PIN_DIRECT,
    feature::MODIFY_PIN_DIRECT,
    feature::IFD_PIN_PROPERTIES,
];

/// The GET_FEATURE_REQUEST reply: `tag, 4, control code (big-endian)` per feature.
pub fn feature_list(pin_pad: bool) -> Vec<u8> {
    if !pin_pad {
        return Vec::new();
    }
    PAD_FEATURES
        .iter()
        .flat_map(|&f| {
            let mut tlv = vec![f, 4];
            tlv.extend_from_slice(&ioctl_of(f).to_be_bytes());
            tlv
        })
        .collect()
}

/// PIN_PROPERTIES_STRUCTURE (little-endian `wLcdLayout`): no display, entry completes on
/// the OK key (`bEntryValidationCondition` = 0x02), default inter-key time-out.
pub const PIN_PROPERTIES: [u8; 4] = [0x00, 0x00, 0x02, 0x00];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_pcsc_lite() {
        assert_eq!(CM_IOCTL_GET_FEATURE_REQUEST, 0x4200_0D48);
        assert_eq!(ioctl_of(feature::VERIFY_PIN_DIRECT), 0x4233_0006);
    }

    #[test]
    fn feature_list_is_tlv() {
        assert!(feature_list(false).is_empty());
        let l = feature_list(true);
        assert_eq!(l.len(), 18);
        assert_eq!(&l[..6], &[0x06, 4, 0x42, 0x33, 0x00, 0x06]);
        assert_eq!(&l[12..], &[0x0A, 4, 0x42, 0x33, 0x00, 0x0A]);
    }
}
