//! `Day`: the dataflow's time, a calendar date stored as days since 1970-01-01 (Parquet DATE).

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A calendar day; the same number Parquet's DATE type stores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Day(pub i32);

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");

impl Day {
    /// The day `n` days after this one (`n` may be negative).
    pub fn plus(self, n: i32) -> Day {
        Day(self.0 + n)
    }

    /// Days from `earlier` to `self`.
    pub fn since(self, earlier: Day) -> i32 {
        self.0 - earlier.0
    }

    /// 0 = Monday .. 6 = Sunday.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (3).
        (self.0 + 3).rem_euclid(7) as u32
    }

    fn to_date(self) -> NaiveDate {
        if self.0 >= 0 {
            EPOCH + Days::new(self.0 as u64)
        } else {
            EPOCH - Days::new(self.0.unsigned_abs() as u64)
        }
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_date().format("%Y-%m-%d"))
    }
}

/// A string that is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a date of the form YYYY-MM-DD")]
pub struct BadDay(pub String);

impl FromStr for Day {
    type Err = BadDay;
    fn from_str(s: &str) -> Result<Day, BadDay> {
        let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| BadDay(s.to_owned()))?;
        // Strict form: chrono accepts `2024-1-5`; Hive partition names never look like that.
        if s.len() != 10 {
            return Err(BadDay(s.to_owned()));
        }
        Ok(Day(date.signed_duration_since(EPOCH).num_days() as i32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_dates() {
        let d: Day = "2026-03-01".parse().unwrap();
        assert_eq!(d.to_string(), "2026-03-01");
        assert_eq!(d.plus(-1).to_string(), "2026-02-28");
        assert_eq!("1970-01-01".parse::<Day>().unwrap(), Day(0));
        assert_eq!(Day(-1).to_string(), "1969-12-31");
        assert!("2026-3-1".parse::<Day>().is_err());
        assert!("2026-02-30".parse::<Day>().is_err());
    }

    #[test]
    fn weekday_of_known_dates() {
        assert_eq!("2026-12-04".parse::<Day>().unwrap().weekday(), 4); // a Friday
        assert_eq!("1970-01-01".parse::<Day>().unwrap().weekday(), 3);
    }
}
