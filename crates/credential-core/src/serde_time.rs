//! Serde formats for time values in stored records.

/// A `time::Duration` stored as whole seconds when it is a whole number of
/// seconds (the common case, and the older format), and as
/// `{"nanoseconds": n}` otherwise, so that no store rounds a period.
pub(crate) mod seconds {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use time::Duration;

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Seconds(i64),
        Exact { nanoseconds: i64 },
    }

    pub(crate) fn serialize<S: Serializer>(
        duration: &Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let stored = match i64::try_from(duration.whole_nanoseconds()) {
            Ok(nanoseconds) if duration.subsec_nanoseconds() != 0 => Stored::Exact { nanoseconds },
            // Whole seconds, or too long for nanoseconds to count (over
            // 292 years), where a fraction of a second does not matter.
            _ => Stored::Seconds(duration.whole_seconds()),
        };
        stored.serialize(serializer)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        Ok(match Stored::deserialize(deserializer)? {
            Stored::Seconds(seconds) => Duration::seconds(seconds),
            Stored::Exact { nanoseconds } => Duration::nanoseconds(nanoseconds),
        })
    }

    #[cfg(test)]
    mod tests {
        use time::Duration;

        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Holder {
            #[serde(with = "super")]
            period: Duration,
        }

        #[test]
        fn periods_round_trip_exactly() {
            for period in [
                Duration::seconds(60),
                Duration::milliseconds(1500),
                Duration::nanoseconds(10),
                Duration::days(1) + Duration::nanoseconds(1),
                Duration::seconds(-3),
                Duration::seconds(i64::MAX / 2),
            ] {
                let json = serde_json::to_string(&Holder { period }).unwrap();
                let back: Holder = serde_json::from_str(&json).unwrap();
                assert_eq!(back.period, period, "{json}");
            }
            // Whole seconds keep the plain number.
            let json = serde_json::to_string(&Holder {
                period: Duration::minutes(2),
            })
            .unwrap();
            assert_eq!(json, r#"{"period":120}"#);
        }
    }
}
