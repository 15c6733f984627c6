//! The CLI's progress bar (indicatif) on stderr: how far the simulated clock is, how many
//! events per second of wall time the engine processes, and the time left at the pace so far.
//! Shown only on a terminal, so a pipe, a file or a test sees nothing of it.

use indicatif::{HumanFloatCount, ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    duration_s: f64,
    /// Events per wall second, smoothed over the last slices.
    rate: f64,
}

impl Progress {
    pub fn new(show: bool, duration_s: f64) -> Progress {
        let bar = show.then(|| {
            // Positions are simulated milliseconds: indicatif's ETA is then simulated time
            // left over the simulated-time pace so far.
            let bar = ProgressBar::with_draw_target(
                Some((duration_s * 1e3).ceil() as u64),
                ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                ProgressStyle::with_template("{bar:30.cyan/blue} {msg} · ETA {eta}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar
        });
        Progress {
            bar,
            duration_s,
            rate: 0.0,
        }
    }

    /// A slice of the run ended at simulated `now_s`, having processed `events` in `wall_s`.
    pub fn update(&mut self, now_s: f64, events: u64, wall_s: f64) {
        let Some(bar) = &self.bar else { return };
        if wall_s > 0.0 {
            let rate = events as f64 / wall_s;
            self.rate = if self.rate == 0.0 {
                rate
            } else {
                0.7 * self.rate + 0.3 * rate
            };
        }
        bar.set_position((now_s * 1e3) as u64);
        bar.set_message(format!(
            "t = {:.1} / {} s · {} events/s",
            now_s,
            self.duration_s,
            HumanFloatCount(self.rate.round())
        ));
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
