//! Summaries of repeated measurements: percentiles of a sample, and the median of a few runs.

use std::time::Duration;

/// Percentiles of durations, nearest-rank.
pub struct Percentiles(Vec<Duration>);

impl Percentiles {
    pub fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort_unstable();
        Self(samples)
    }

    /// The `p`th percentile (0–100); zero for an empty sample.
    pub fn at(&self, p: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.0.len() as f64).ceil() as usize;
        self.0[rank.clamp(1, self.0.len()) - 1]
    }
}

/// The median of a few figures (the mean of the middle two for an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let p = Percentiles::new((1..=100).rev().map(Duration::from_micros).collect());
        assert_eq!(p.at(50.0), Duration::from_micros(50));
        assert_eq!(p.at(99.0), Duration::from_micros(99));
        assert_eq!(p.at(100.0), Duration::from_micros(100));
        assert_eq!(p.at(0.0), Duration::from_micros(1));
        assert_eq!(Percentiles::new(Vec::new()).at(50.0), Duration::ZERO);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }
}
