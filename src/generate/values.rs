//! Realistic-looking values: identity numbers with valid check digits, phones, addresses,
//! location codes, shop and brand names.
//!
//! Identity values are drawn from a per-kind counter through a bijection, so two sellers
//! never share a value by accident: every shared value in the lake is one the generator
//! planted on purpose.

use rand::Rng;

/// Scrambles `n` (< 10^digits) into another number of the same range; a bijection, so distinct
/// counters give distinct values. (The multiplier is odd and not a multiple of 5.)
fn scramble(n: u64, digits: u32) -> u64 {
    let m = 10u64.pow(digits);
    (n % m).wrapping_mul(7_919_031_231) % m
}

/// The 18-character resident ID number form: region, birth date, sequence, MOD 11-2 check.
/// Distinct for distinct `n` below 10^7 (birth date and sequence carry the scrambled counter).
pub fn id_card(n: u64) -> String {
    let s = scramble(n, 7);
    let regions = ["110101", "310104", "440106", "440304", "330106", "350322", "320102", "510104"];
    let region = regions[(n % regions.len() as u64) as usize];
    let born = chrono::NaiveDate::from_ymd_opt(1965, 1, 1).expect("valid date") + chrono::Days::new(s / 1000);
    let body = format!("{region}{}{:03}", born.format("%Y%m%d"), s % 1000);
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.bytes().zip(WEIGHTS).map(|(b, w)| (b - b'0') as u32 * w).sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

/// An 11-digit mobile number.
pub fn phone(n: u64) -> String {
    let prefixes = ["138", "139", "135", "136", "150", "151", "158", "186", "187", "177"];
    let s = scramble(n, 8);
    format!("{}{:08}", prefixes[(n / 100_000_000 % 10) as usize], s)
}

/// A 16-digit payment account number of the `2088…` form.
pub fn payment_account(n: u64) -> String {
    format!("2088{:012}", scramble(n, 12))
}

/// A 16 or 19-digit bank card number with a valid Luhn check digit.
pub fn bank_card(n: u64) -> String {
    let body = format!("62{:013}", scramble(n, 13));
    let body = if n.is_multiple_of(3) { format!("{body}{:03}", n % 997) } else { body };
    format!("{body}{}", luhn_digit(&body))
}

fn luhn_digit(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = (b - b'0') as u32;
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// A device fingerprint (32 hex digits).
pub fn device(n: u64) -> String {
    let a = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let b = (n ^ 0xD1B5_4A32_D192_ED03).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    format!("{a:016x}{b:016x}")
}

/// A public-looking IPv4 address, distinct for distinct `n` below 2^29.
pub fn ip(n: u64) -> String {
    let firsts = [
        36u64, 39, 58, 59, 60, 61, 101, 106, 110, 112, 113, 114, 115, 116, 117, 119, 120, 121, 122, 123, 124, 125, 180,
        182, 183, 211, 218, 219, 220, 221, 222, 223,
    ];
    let s = scramble(n, 7) + (n / 10_000_000) * 10_000_000;
    let first = firsts[(s % 32) as usize];
    let r = s / 32;
    format!("{first}.{}.{}.{}", (r >> 16) & 255, (r >> 8) & 255, r & 255)
}

/// Provinces (with a weight) a seller or warehouse is in.
pub const PROVINCES: &[(&str, u32)] = &[
    ("GD", 30),
    ("ZJ", 20),
    ("FJ", 10),
    ("JS", 10),
    ("SH", 6),
    ("BJ", 5),
    ("SD", 5),
    ("HN", 4),
    ("HB", 3),
    ("SC", 4),
    ("HE", 3),
];

/// A dispatch location code such as `CN-GD-WH123456` (`WH` warehouse, `FA` factory,
/// `FC` public fulfilment centre, `PP` pickup point).
pub fn location(n: u64, province: &str, kind: &str) -> String {
    format!("CN-{province}-{kind}{:06}", scramble(n, 6))
}

const CITIES: &[(&str, &str, &[&str])] = &[
    ("GD", "Guangzhou", &["Baiyun", "Tianhe", "Panyu", "Haizhu"]),
    ("GD", "Shenzhen", &["Longgang", "Bao'an", "Futian", "Longhua"]),
    ("ZJ", "Yiwu", &["Futian", "Choucheng", "Beiyuan"]),
    ("ZJ", "Hangzhou", &["Xiaoshan", "Yuhang", "Binjiang"]),
    ("FJ", "Putian", &["Licheng", "Hanjiang", "Xiuyu"]),
    ("FJ", "Jinjiang", &["Chendai", "Anhai", "Yinglin"]),
    ("JS", "Suzhou", &["Gusu", "Wuzhong", "Kunshan"]),
    ("SH", "Shanghai", &["Minhang", "Pudong", "Jiading"]),
];
const STREETS: &[&str] = &[
    "Xingfu",
    "Renmin",
    "Jiefang",
    "Zhongshan",
    "Huaqiang",
    "Jinqiao",
    "Chunfeng",
    "Binhe",
    "Changjiang",
    "Heping",
    "Wenhua",
    "Xinhua",
    "Yongan",
    "Fuqiang",
];

/// A return address, distinct for distinct `n`.
pub fn return_address(n: u64, province: &str) -> String {
    let s = scramble(n, 9);
    let cities: Vec<_> = CITIES.iter().filter(|c| c.0 == province).collect();
    let (_, city, districts) = if cities.is_empty() {
        CITIES[(s % CITIES.len() as u64) as usize]
    } else {
        *cities[(s % cities.len() as u64) as usize]
    };
    let district = districts[(s / 7 % districts.len() as u64) as usize];
    let street = STREETS[(s / 31 % STREETS.len() as u64) as usize];
    // Building and room numbers carry the counter, so the address is unique.
    format!(
        "Room {}, Building {}, No. {} {street} Road, {district} District, {city}",
        100 + n % 2900,
        1 + n / 2900 % 40,
        1 + n / 116_000
    )
}

const ADJECTIVES: &[&str] = &[
    "Golden", "Happy", "Lucky", "Bright", "Eastern", "Silver", "Star", "Blue", "Jade", "Sunny", "Royal", "Fresh",
    "Smart", "Urban", "Grand", "Prime", "Lotus", "Harmony",
];
const NOUNS: &[&str] = &[
    "Trading", "Fashion", "Outlet", "Boutique", "Goods", "Store", "Mall", "Shop", "Emporium", "Select", "Home",
    "Style", "Direct", "Depot", "Corner", "House", "Market",
];

/// A shop name.
pub fn shop_name(rng: &mut impl Rng) -> String {
    let a = ADJECTIVES[rng.random_range(0..ADJECTIVES.len())];
    let b = NOUNS[rng.random_range(0..NOUNS.len())];
    format!("{a} {b} {}", rng.random_range(1..999))
}

const SYLLABLES: &[&str] = &[
    "va", "lo", "ri", "ne", "ka", "sto", "mar", "bel", "ti", "zo", "an", "que", "ro", "sa", "lin", "dor", "fe", "mi",
    "lux", "ven", "ora", "el", "cas", "ni",
];

/// A brand name made of syllables, unique per `n` below 24^3.
pub fn brand_name(n: usize) -> String {
    let k = SYLLABLES.len();
    let mut s = String::new();
    s.push_str(SYLLABLES[n % k]);
    s.push_str(SYLLABLES[(n / k + 7) % k]);
    if n >= k * k || n.is_multiple_of(3) {
        s.push_str(SYLLABLES[(n / (k * k) + 3) % k]);
    }
    let mut c = s.chars();
    let first = c.next().map(|f| f.to_ascii_uppercase()).unwrap_or('X');
    format!("{first}{}", c.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn id_cards_have_valid_check_digit_and_are_distinct() {
        let mut seen = HashSet::new();
        for n in 0..20_000 {
            let v = id_card(n);
            assert_eq!(v.len(), 18, "{v}");
            assert!(seen.insert(v), "duplicate at {n}");
        }
    }

    #[test]
    fn values_are_distinct_per_counter() {
        for f in [phone as fn(u64) -> String, payment_account, bank_card, device, ip] {
            let set: HashSet<String> = (0..50_000).map(f).collect();
            assert_eq!(set.len(), 50_000);
        }
        let set: HashSet<String> = (0..50_000).map(|n| return_address(n, "GD")).collect();
        assert_eq!(set.len(), 50_000);
        let set: HashSet<String> = (0..50_000).map(|n| location(n, "FJ", "WH")).collect();
        assert!(set.len() > 49_000);
    }

    #[test]
    fn bank_cards_pass_luhn() {
        for n in 0..1000 {
            let v = bank_card(n);
            let (body, check) = v.split_at(v.len() - 1);
            assert_eq!(luhn_digit(body).to_string(), check);
        }
    }

    #[test]
    fn brand_names_are_distinct() {
        let set: HashSet<String> = (0..500).map(brand_name).collect();
        assert_eq!(set.len(), 500);
    }
}
