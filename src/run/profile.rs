//! `run --profile-operators`: where a worker's time goes, operator by operator, from timely's own
//! scheduling log (every operator's start and stop), summed over the run and logged at its end.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;
use std::time::Duration;
use timely::logging::{StartStop, TimelyEvent, TimelyEventBuilder};
use timely::worker::Worker;

/// One operator's share of a worker's time.
#[derive(Clone, Debug, PartialEq)]
pub struct OperatorTime {
    pub name: String,
    /// Timely's address: dataflow index, then the path of scopes.
    pub addr: Vec<usize>,
    pub busy: Duration,
    pub schedulings: u64,
}

#[derive(Default)]
struct State {
    operators: HashMap<usize, (Vec<usize>, String)>,
    started: HashMap<usize, Duration>,
    busy: HashMap<usize, (Duration, u64)>,
}

impl State {
    fn record(&mut self, at: Duration, event: TimelyEvent) {
        match event {
            TimelyEvent::Operates(o) => {
                self.operators.insert(o.id, (o.addr, o.name));
            }
            TimelyEvent::Schedule(s) => match s.start_stop {
                StartStop::Start => {
                    self.started.insert(s.id, at);
                }
                StartStop::Stop => {
                    if let Some(from) = self.started.remove(&s.id) {
                        let b = self.busy.entry(s.id).or_default();
                        b.0 += at.saturating_sub(from);
                        b.1 += 1;
                    }
                }
            },
            _ => {}
        }
    }

    /// Leaf operators only, busiest first: a scope's time includes its operators' time.
    fn leaves(&self) -> Vec<OperatorTime> {
        let parents: BTreeSet<&[usize]> =
            self.operators.values().filter_map(|(addr, _)| addr.split_last().map(|(_, p)| p)).collect();
        let mut out: Vec<OperatorTime> = self
            .busy
            .iter()
            .filter_map(|(id, &(busy, schedulings))| {
                let (addr, name) = self.operators.get(id)?;
                (!parents.contains(addr.as_slice())).then(|| OperatorTime {
                    name: name.clone(),
                    addr: addr.clone(),
                    busy,
                    schedulings,
                })
            })
            .collect();
        out.sort_by(|a, b| b.busy.cmp(&a.busy).then_with(|| a.addr.cmp(&b.addr)));
        out
    }
}

/// Records a worker's operator scheduling from installation on.
pub struct Profiler(Rc<RefCell<State>>);

impl Profiler {
    /// Starts recording; install it before building the dataflows it should see (operators are
    /// named when they are built). `None` when the worker has no logging registry.
    pub fn install(worker: &mut Worker) -> Option<Profiler> {
        let state = Rc::new(RefCell::new(State::default()));
        let sink = state.clone();
        worker.log_register()?.insert::<TimelyEventBuilder, _>("timely", move |_, events| {
            if let Some(events) = events {
                let mut s = sink.borrow_mut();
                for (at, e) in events.drain(..) {
                    s.record(at, e);
                }
            }
        });
        Some(Profiler(state))
    }

    /// The leaf operators seen so far, busiest first.
    pub fn report(&self, worker: &mut Worker) -> Vec<OperatorTime> {
        if let Some(mut registry) = worker.log_register() {
            registry.flush();
        }
        self.0.borrow().leaves()
    }
}

/// Logs a worker's top `n` operators with their share of the busy time of all of them.
pub fn log_top(index: usize, ops: &[OperatorTime], n: usize) {
    let total: f64 = ops.iter().map(|o| o.busy.as_secs_f64()).sum::<f64>().max(1e-9);
    let mut text = format!("worker {index}: operators by busy time ({total:.2} s in all)");
    for o in ops.iter().take(n) {
        let secs = o.busy.as_secs_f64();
        text.push_str(&format!(
            "\n  {:>8.2} s {:>5.1}%  {:>7} runs  {} {:?}",
            secs,
            100.0 * secs / total,
            o.schedulings,
            o.name,
            o.addr
        ));
    }
    tracing::info!("{text}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use timely::logging::{OperatesEvent, ScheduleEvent};

    fn operates(id: usize, addr: &[usize], name: &str) -> TimelyEvent {
        TimelyEvent::Operates(OperatesEvent { id, addr: addr.to_vec(), name: name.into() })
    }

    #[test]
    fn busy_time_is_summed_per_leaf_operator() {
        let mut s = State::default();
        let ms = Duration::from_millis;
        s.record(ms(0), operates(0, &[0], "Dataflow"));
        s.record(ms(0), operates(1, &[0, 1], "Map"));
        s.record(ms(0), operates(2, &[0, 2], "Iterate"));
        s.record(ms(0), operates(3, &[0, 2, 1], "Join"));
        for (start, stop, id) in [(0, 10, 0), (1, 4, 1), (5, 9, 2), (6, 8, 3), (20, 27, 1)] {
            s.record(ms(start), TimelyEvent::Schedule(ScheduleEvent::start(id)));
            s.record(ms(stop), TimelyEvent::Schedule(ScheduleEvent::stop(id)));
        }
        let leaves = s.leaves();
        let got: Vec<(&str, Duration, u64)> = leaves.iter().map(|o| (o.name.as_str(), o.busy, o.schedulings)).collect();
        // The dataflow and the iterate scope contain other operators: their time is not counted twice.
        assert_eq!(got, vec![("Map", ms(10), 2), ("Join", ms(2), 1)]);
    }
}
