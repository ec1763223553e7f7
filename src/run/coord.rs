//! Coordination between workers: an all-gather over a tiny timely dataflow, so that every worker
//! (in every process) sees the same plan, the same read status and the same decision.

use serde::{de::DeserializeOwned, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use timely::dataflow::operators::vec::Broadcast;
use timely::dataflow::operators::{Inspect, Probe};
use timely::dataflow::{InputHandle, ProbeHandle};
use timely::worker::Worker;

/// A message of one round: (round, sender, payload).
type Envelope<M> = (u64, usize, M);

/// The all-gather channel of one worker.
pub struct Coord<M: Clone + 'static> {
    input: InputHandle<u64, timely::container::CapacityContainerBuilder<Vec<Envelope<M>>>>,
    probe: ProbeHandle<u64>,
    received: Rc<RefCell<Vec<Envelope<M>>>>,
    round: u64,
    index: usize,
}

impl<M: Clone + Send + Serialize + DeserializeOwned + 'static> Coord<M> {
    /// Builds the coordination dataflow on `worker`.
    pub fn new(worker: &mut Worker) -> Coord<M> {
        let mut input = InputHandle::new();
        let probe = ProbeHandle::new();
        let received = Rc::new(RefCell::new(Vec::new()));
        let sink = received.clone();
        worker.dataflow::<u64, _, _>(|scope| {
            input
                .to_stream(scope)
                .broadcast()
                .inspect(move |m: &Envelope<M>| sink.borrow_mut().push(m.clone()))
                .probe_with(&probe);
        });
        Coord { input, probe, received, round: 0, index: worker.index() }
    }

    /// Sends `msg` to every worker and returns every worker's message of this round, by sender.
    /// Keeps the worker stepping (all dataflows) while it waits.
    pub fn allgather(&mut self, worker: &mut Worker, msg: M) -> Vec<M> {
        let round = self.round;
        self.input.send((round, self.index, msg));
        self.round += 1;
        self.input.advance_to(self.round);
        let probe = self.probe.clone();
        worker.step_or_park_while(Some(Duration::from_millis(5)), || probe.less_than(&(round + 1)));
        let mut mine: Vec<(usize, M)> = Vec::new();
        self.received.borrow_mut().retain(|(r, sender, m)| {
            if *r == round {
                mine.push((*sender, m.clone()));
                false
            } else {
                true
            }
        });
        mine.sort_by_key(|(sender, _)| *sender);
        mine.into_iter().map(|(_, m)| m).collect()
    }
}
