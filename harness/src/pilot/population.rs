//! The seeded generator of the pilot's fixtures (seed 000): 500 synthetic people
//! stratified by sex × age band, four sites (the three hospitals and the clinics, split
//! north / central / south), each with its SAM and HPC holders. Same seed → same output.
//!
//! Strata follow Taiwan's population by sex and age at the end of 2019 (Ministry of the
//! Interior household-registration statistics, rounded to 0.1 %):
//!
//! | age | male | female |
//! |---|---|---|
//! | 0–14 | 6.7 % | 6.2 % |
//! | 15–24 | 6.0 % | 5.5 % |
//! | 25–44 | 15.3 % | 14.9 % |
//! | 45–64 | 14.8 % | 15.3 % |
//! | 65+ | 6.9 % | 8.4 % |

use nhi_emulator::fixtures::{Fixtures, Hospital, HpcHolder, Person};
use nhi_protocol::basic::is_big5_name;
use nhi_protocol::ident::IdNo;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::Serialize;
use std::collections::HashSet;

/// Age bands of the strata.
pub const AGE_BANDS: [(&str, u32, u32); 5] = [
    ("0-14", 0, 14),
    ("15-24", 15, 24),
    ("25-44", 25, 44),
    ("45-64", 45, 64),
    ("65+", 65, 95),
];
/// Population share per (band, sex) in ‰: [male, female] per band.
pub const SHARE_PERMILLE: [[u32; 2]; 5] = [[67, 62], [60, 55], [153, 149], [148, 153], [69, 84]];

/// A pilot site.
#[derive(Debug, Clone, Serialize)]
pub struct Site {
    /// Short key used in case ids.
    pub key: &'static str,
    /// Name.
    pub name: &'static str,
    /// Region.
    pub region: &'static str,
    /// Cases at this site.
    pub cases: usize,
    /// Hospital id.
    pub hospital_id: &'static str,
    /// Test SAM id (first digit 9).
    pub sam_id: &'static str,
    /// Letter of ID numbers issued in the region.
    pub id_letter: char,
}

/// The sites of seed 000: 高雄榮總 200, 羅東聖母 100, 康寧 100, clinics 100 (N/C/S).
pub const SITES: [Site; 6] = [
    Site {
        key: "kvgh",
        name: "高雄榮民總醫院",
        region: "south",
        cases: 200,
        hospital_id: "0602030026",
        sam_id: "901000000602",
        id_letter: 'E',
    },
    Site {
        key: "smh",
        name: "羅東聖母醫院",
        region: "east",
        cases: 100,
        hospital_id: "0934060015",
        sam_id: "901000000934",
        id_letter: 'G',
    },
    Site {
        key: "knh",
        name: "康寧醫院",
        region: "north",
        cases: 100,
        hospital_id: "1501010010",
        sam_id: "901000001501",
        id_letter: 'A',
    },
    Site {
        key: "cln-n",
        name: "北區診所",
        region: "north",
        cases: 34,
        hospital_id: "3501200001",
        sam_id: "901000003501",
        id_letter: 'F',
    },
    Site {
        key: "cln-c",
        name: "中區診所",
        region: "central",
        cases: 33,
        hospital_id: "3617000002",
        sam_id: "901000003617",
        id_letter: 'B',
    },
    Site {
        key: "cln-s",
        name: "南區診所",
        region: "south",
        cases: 33,
        hospital_id: "3902000003",
        sam_id: "901000003902",
        id_letter: 'S',
    },
];

const SURNAMES: &[&str] = &[
    "陳", "林", "黃", "張", "李", "王", "吳", "劉", "蔡", "楊", "許", "鄭", "謝", "郭", "洪", "曾",
    "邱", "廖", "賴", "周", "葉", "蘇", "莊", "呂", "江", "何", "蕭", "羅", "高", "潘", "簡", "朱",
    "鍾", "彭", "游", "詹", "胡", "施", "沈", "余",
];
const COMPOUND: &[&str] = &["歐陽", "司馬", "諸葛", "張簡"];
const GIVEN: &[&str] = &[
    "志", "明", "家", "俊", "宏", "美", "淑", "惠", "怡", "婷", "雅", "文", "建", "偉", "嘉", "玉",
    "芳", "秀", "佳", "欣", "冠", "宇", "柏", "翰", "承", "庭", "子", "瑜", "思", "涵",
];
/// Rarer characters that are still in Big5: seed 004 says of the HC name 「姓名:中英文,Big5
/// 編碼不超過 20 碼」; seed 000 says nothing about names, and the choice of characters is ours.
const RARE: &[&str] = &[
    "璿", "翀", "淼", "彧", "禎", "堉", "焱", "鑫", "旻", "昇", "甯", "靚", "巖",
];

/// One generated person with the stratum they were drawn for.
#[derive(Debug, Clone, Serialize)]
pub struct PilotPerson {
    /// The person (fixture format).
    pub person: Person,
    /// Site index.
    pub site: usize,
    /// `M` / `F`.
    pub sex: String,
    /// Age band label.
    pub band: &'static str,
    /// Age at the pilot epoch.
    pub age: u32,
    /// Phone id of their app.
    pub phone: String,
}

/// Splits `n` by the population shares (largest remainder), giving counts per (band, sex).
pub fn allocate(n: usize) -> [[usize; 2]; 5] {
    let total: u32 = SHARE_PERMILLE.iter().flatten().sum();
    let mut out = [[0usize; 2]; 5];
    let mut rem = Vec::new();
    let mut used = 0;
    for (b, row) in SHARE_PERMILLE.iter().enumerate() {
        for (s, &p) in row.iter().enumerate() {
            let exact = n as f64 * f64::from(p) / f64::from(total);
            out[b][s] = exact.floor() as usize;
            used += out[b][s];
            rem.push((exact - exact.floor(), b, s));
        }
    }
    rem.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    for (_, b, s) in rem.into_iter().take(n - used) {
        out[b][s] += 1;
    }
    out
}

fn name(rng: &mut ChaCha20Rng) -> String {
    loop {
        let surname = if rng.gen_ratio(1, 50) {
            *COMPOUND.choose(rng).unwrap_or(&"歐陽")
        } else {
            *SURNAMES.choose(rng).unwrap_or(&"陳")
        };
        let pool = |rng: &mut ChaCha20Rng| {
            if rng.gen_ratio(1, 8) {
                *RARE.choose(rng).unwrap_or(&"璿")
            } else {
                *GIVEN.choose(rng).unwrap_or(&"明")
            }
        };
        let given: String = if rng.gen_ratio(1, 10) {
            pool(rng).to_string()
        } else {
            format!("{}{}", pool(rng), pool(rng))
        };
        let n = format!("{surname}{given}");
        if is_big5_name(&n) {
            return n;
        }
    }
}

fn id_no(rng: &mut ChaCha20Rng, letter: char, male: bool, used: &mut HashSet<String>) -> String {
    loop {
        let prefix = format!(
            "{letter}{}{:07}",
            if male { 1 } else { 2 },
            rng.gen_range(0..10_000_000u32)
        );
        if let Some(d) = IdNo::check_digit(&prefix) {
            let id = format!("{prefix}{d}");
            if used.insert(id.clone()) {
                return id;
            }
        }
    }
}

/// The pilot's world: institutions, HPC holders, and people per site (in case order).
#[derive(Debug, Clone)]
pub struct PilotFixtures {
    /// Everything the DC and the card factory need.
    pub fixtures: Fixtures,
    /// People, in case order.
    pub people: Vec<PilotPerson>,
    /// Sites used (scaled when fewer than 500 cases are asked for).
    pub sites: Vec<(Site, usize)>,
}

/// HPC holders per site: the doctor, a locum whose certificate the DC revokes, and a
/// locum whose certificate expired before the pilot.
pub fn hpc_holders(site: usize, s: &Site) -> Result<[HpcHolder; 3], String> {
    let mk = |k: u32, name: &str, en: &str, to: &str| -> Result<HpcHolder, String> {
        let prefix = format!("{}1{:07}", s.id_letter, 9_000_000 + site as u32 * 10 + k);
        let check = IdNo::check_digit(&prefix)
            .ok_or_else(|| format!("site {}: no ID number from {prefix:?}", s.key))?;
        Ok(HpcHolder {
            card_id: format!("10000{:02}{:05}", site, k),
            id_no: format!("{prefix}{check}"),
            name: name.into(),
            name_en: en.into(),
            pin: format!("{:06}", 135_790 + site),
            puk: format!("{:08}", 24_681_357 + site),
            hospital_id: s.hospital_id.into(),
            cert_from: "2018-01-01T00:00:00Z".into(),
            cert_to: to.into(),
        })
    };
    Ok([
        mk(1, "醫師甲", "DOCTOR A", "2030-12-31T00:00:00Z")?,
        mk(2, "代診乙", "LOCUM B", "2030-12-31T00:00:00Z")?,
        mk(3, "代診丙", "LOCUM C", "2019-01-01T00:00:00Z")?,
    ])
}

/// Generates the pilot for `cases` cases (500 in the seed) from `seed`.
pub fn generate(cases: usize, seed: u64) -> Result<PilotFixtures, String> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    // Scale site sizes to the number of cases (largest remainder, seed order).
    let total: usize = SITES.iter().map(|s| s.cases).sum();
    let mut sizes: Vec<usize> = SITES.iter().map(|s| s.cases * cases / total).collect();
    let mut i = 0;
    while sizes.iter().sum::<usize>() < cases {
        sizes[i % SITES.len()] += 1;
        i += 1;
    }
    let mut f = Fixtures::default();
    let mut people = Vec::new();
    let mut used = HashSet::new();
    let mut sites = Vec::new();
    for (si, s) in SITES.iter().enumerate() {
        f.hospitals.push(Hospital {
            id: s.hospital_id.into(),
            name: s.name.into(),
            short_name: s.name.chars().take(4).collect(),
            sam_id: s.sam_id.into(),
            contract_from: "2019-01-01T00:00:00Z".into(),
            contract_to: "2030-12-31T23:59:59Z".into(),
        });
        f.hpcs.extend(hpc_holders(si, s)?);
        sites.push((s.clone(), sizes[si]));
        let alloc = allocate(sizes[si]);
        let mut strata: Vec<(usize, usize)> = Vec::new();
        for (b, row) in alloc.iter().enumerate() {
            for (sx, &n) in row.iter().enumerate() {
                strata.extend(std::iter::repeat_n((b, sx), n));
            }
        }
        strata.shuffle(&mut rng);
        for (k, (b, sx)) in strata.into_iter().enumerate() {
            let (band, lo, hi) = AGE_BANDS[b];
            let age = rng.gen_range(lo..=hi);
            let male = sx == 0;
            let year = 108 - age as i64; // ROC 108 = 2019
            let month = rng.gen_range(1..=12u32);
            let day = rng.gen_range(1..=28u32);
            let birthday = format!("{:03}{:02}{:02}", year.max(1), month, day);
            let issue_year = (year + 1).clamp(94, 108);
            let card_no = format!("9{:01}{:010}", si, k + 1);
            let p = Person {
                id_no: id_no(&mut rng, s.id_letter, male, &mut used),
                name: name(&mut rng),
                birthday,
                sex: if male { "M".into() } else { "F".into() },
                card_no,
                issue_date: format!("{issue_year:03}0101"),
                identity_status: match rng.gen_range(0..100) {
                    0..=3 => "4".into(),
                    4..=6 => "2".into(),
                    7 => "1".into(),
                    _ => "3".into(),
                },
                pin: None,
                // Refused registrations are a failure class: the DC's record is flagged
                // when the case plays (failures.rs), not in the population.
                refuse_registration: None,
            };
            people.push(PilotPerson {
                phone: format!("phone-{}-{:03}", s.key, k + 1),
                person: p,
                site: si,
                sex: if male { "M".into() } else { "F".into() },
                band,
                age,
            });
        }
    }
    f.people = people.iter().map(|p| p.person.clone()).collect();
    Ok(PilotFixtures {
        fixtures: f,
        people,
        sites,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_sums_and_follows_shares() {
        for n in [1, 33, 100, 200, 500] {
            let a = allocate(n);
            assert_eq!(a.iter().flatten().sum::<usize>(), n);
        }
        let a = allocate(1000);
        assert_eq!(a[2][0], 153);
        assert_eq!(a[4][1], 84);
    }

    #[test]
    fn same_seed_same_people_and_valid_identities() {
        let a = generate(500, 2019).unwrap();
        let b = generate(500, 2019).unwrap();
        assert_eq!(a.people.len(), 500);
        let json = |p: &PilotFixtures| serde_json::to_string(&p.people).unwrap();
        assert_eq!(json(&a), json(&b));
        assert_ne!(json(&a), json(&generate(500, 2020).unwrap()));
        let mut ids = HashSet::new();
        let mut cards = HashSet::new();
        for p in &a.people {
            assert!(
                IdNo::parse_strict(&p.person.id_no).is_ok(),
                "{}",
                p.person.id_no
            );
            assert!(p.person.basic().is_ok(), "{:?}", p.person);
            assert!(ids.insert(p.person.id_no.clone()) && cards.insert(p.person.card_no.clone()));
        }
        let per_site: Vec<usize> = (0..SITES.len())
            .map(|s| a.people.iter().filter(|p| p.site == s).count())
            .collect();
        assert_eq!(per_site, vec![200, 100, 100, 34, 33, 33]);
        assert!(
            a.people
                .iter()
                .any(|p| RARE.iter().any(|r| p.person.name.contains(r))),
            "rare characters present"
        );
        // The fixture file validates as a whole.
        let text = toml::to_string(&a.fixtures).unwrap();
        assert!(Fixtures::parse(&text).is_ok());
    }
}
