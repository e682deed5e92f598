//! The Web API of the control software 6.0: paths, the endpoint table, and the request and
//! reply bodies with the field names the real product uses (`statusCode`, `samId`,
//! `hospitalId`, `clientRandom`, …). Every reply is `{"statusCode", "message"?}` plus the
//! fields of one of the [`reply`] types.

pub mod endpoints;
pub mod hc_areas;
pub mod reply;
pub mod request;

pub use endpoints::{Action, Endpoint, Field, Method, Tag, ENDPOINTS};

/// Paths of the Web API.
pub mod path {
    /// GET: device status and modes.
    pub const STATUS: &str = "/api/common/v1/Status";
    /// POST: initialise the devices (optional `deviceName`).
    pub const INITIAL: &str = "/api/common/v1/Initial";
    /// POST: release the devices.
    pub const FINALIZE: &str = "/api/common/v1/Finalize";
    /// GET: version numbers.
    pub const VERSION: &str = "/api/common/v1/Version";
    /// GET: reader time.
    pub const READER_TIME: &str = "/api/common/v1/ReaderTime";
    /// GET: the device list (cloud SAMs and readers holding a SAM), read afresh each call.
    pub const DEVICES: &str = "/api/common/v1/Devices";
    /// GET: the name of the connected device (seed 004's call log shows this path only).
    pub const NAME: &str = "/api/common/v1/Name";
    /// GET: API call log. DELETE: clear it.
    pub const CALL_LOG: &str = "/api/common/v1/CallLog";
    /// POST: verify the SAM with the DC.
    pub const SAM_VERIFY: &str = "/api/sam/v1/Verification";
    /// DELETE: SAM logout.
    pub const SAM_LOGOUT: &str = "/api/sam/v1/Logout";
    /// GET: SAM basic data.
    pub const SAM_BASIC: &str = "/api/sam/v1/BasicData";
    /// POST: SAM signature `{serviceType}`.
    pub const SAM_SIGNATURE: &str = "/api/sam/v1/Signature";
    /// POST: HPC PIN verification `{pin}`.
    pub const HPC_VERIFY: &str = "/api/hpc/v1/Verification/Hpc";
    /// POST: mobile HCA login `{credential}`.
    pub const HPC_MOBILE: &str = "/api/hpc/v1/Verification/MobileHca";
    /// GET: HPC basic data.
    pub const HPC_BASIC: &str = "/api/hpc/v1/BasicData";
    /// POST: HPC signature `{serviceType}`.
    pub const HPC_SIGNATURE: &str = "/api/hpc/v1/Signature";
    /// POST: set PIN `{newPin}`; PUT: reset with PUK `{puk, newPin}`.
    pub const HPC_PIN: &str = "/api/hpc/v1/Pin";
    /// DELETE: HPC / mobile HCA logout.
    pub const HPC_LOGOUT: &str = "/api/hpc/v1/Logout";
    /// POST: verify a virtual HC token `{token}`.
    pub const HC_VIRTUAL_VERIFY: &str = "/api/hc/v1/Verification/VirtualHc";
    /// POST: read a virtual HC's basic data without consuming the token `{token}`.
    pub const HC_VIRTUAL_READ: &str = "/api/hc/v1/VirtualHc/ReadBasic";
    /// GET: HC basic data (physical or the verified virtual card).
    pub const HC_BASIC: &str = "/api/hc/v1/BasicData";
    /// POST: HC signature `{serviceType}`.
    pub const HC_SIGNATURE: &str = "/api/hc/v1/Signature/Hc";
    /// POST: three-card signature `{serviceType}`.
    pub const HPC_HC_SIGNATURE: &str = "/api/hc/v1/Signature/HpcHc";
    /// GET: PIN status; POST: verify `{pin}`; PUT: set `{pin}`; DELETE: clear.
    pub const HC_PIN: &str = "/api/hc/v1/Pin";
    /// DELETE: HC logout.
    pub const HC_LOGOUT: &str = "/api/hc/v1/Logout";
    /// POST: export the verified virtual HC for transfer.
    pub const HC_TRANSFER_EXPORT: &str = "/api/hc/v1/Transfer/Export";
    /// POST: import a transfer code `{transferCode}`.
    pub const HC_TRANSFER_IMPORT: &str = "/api/hc/v1/Transfer/Import";
    /// POST: physical HC marker update.
    pub const HC_MARKER: &str = "/api/hc/v1/Marker";
    /// GET: the HC's insurance data and visit records (ours, seed 001 write-back).
    pub const HC_INSURANCE: &str = "/api/hc/v1/Insurance";
    /// POST: write a visit to the HC (physical card or the DC's record of a virtual one).
    pub const HC_VISIT: &str = "/api/hc/v1/Visit";
    /// GET: the medical area; POST: add an item (HPC verified).
    pub const HC_MEDICAL: &str = "/api/hc/v1/Medical";
    /// GET: the public-health area; POST: add an item.
    pub const HC_PUBLIC_HEALTH: &str = "/api/hc/v1/PublicHealth";
    /// GET: imported cloud SAMs.
    pub const CLOUD_SAM_GET: &str = "/api/settings/v1/CloudSam/Get";
    /// POST: import a cloud SAM file `{fileName, content}`.
    pub const CLOUD_SAM_ADD: &str = "/api/settings/v1/CloudSam/Add";
    /// POST: remove a cloud SAM `{samId}`.
    pub const CLOUD_SAM_REMOVE: &str = "/api/settings/v1/CloudSam/Remove";
    /// GET: PC/SC readers.
    pub const PCSC_READERS: &str = "/api/settings/v1/PcscReaderReader/Readers";
    /// GET: default reader.
    pub const PCSC_GET_DEFAULT: &str = "/api/settings/v1/PcscReaderReader/GetDefault";
    /// POST: set default reader `{readerName}`.
    pub const PCSC_SET_DEFAULT: &str = "/api/settings/v1/PcscReaderReader/SetDefault";
    /// POST: clear the default reader.
    pub const PCSC_REMOVE_DEFAULT: &str = "/api/settings/v1/PcscReaderReader/RemoveDefault";
    /// POST: pick the reader holding a card as default.
    pub const PCSC_AUTODETECT: &str = "/api/settings/v1/PcscReaderReader/AutoDetect";
    /// GET: CORS whitelist.
    pub const CORS_GET: &str = "/api/settings/v1/Cors/Get";
    /// POST: add a host `{hostName}`.
    pub const CORS_ADD: &str = "/api/settings/v1/Cors/Add";
    /// POST: remove a host `{hostName}`.
    pub const CORS_REMOVE: &str = "/api/settings/v1/Cors/Remove";
}
