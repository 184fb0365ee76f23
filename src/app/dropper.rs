//! Frees big values off the event loop. Swapping in a refreshed estate
//! frees the previous one, and after a whole re-read of the history that is
//! every catalog row of every instance (measured: 70–95 ms of the event
//! loop's time at 200 instances); one long-lived thread does it instead.

use std::sync::mpsc::{channel, Sender};
use std::sync::OnceLock;

type Garbage = Box<dyn Send>;

static DROPPER: OnceLock<Option<Sender<Garbage>>> = OnceLock::new();

fn start() -> Option<Sender<Garbage>> {
    let (tx, rx) = channel::<Garbage>();
    std::thread::Builder::new()
        .name("chainwatch-drop".into())
        .spawn(move || {
            for garbage in rx {
                drop(garbage);
            }
        })
        .ok()?;
    Some(tx)
}

/// Drops `value` on the dropper thread (or here, when it cannot be started).
pub fn drop_later<T: Send + 'static>(value: T) {
    let Some(tx) = DROPPER.get_or_init(start) else {
        return drop(value);
    };
    if let Err(returned) = tx.send(Box::new(value)) {
        drop(returned);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::{channel, Sender};
    use std::time::Duration;

    /// Says on which thread it was dropped.
    struct Probe(Sender<Option<String>>);

    impl Drop for Probe {
        fn drop(&mut self) {
            let name = std::thread::current().name().map(str::to_string);
            let _ = self.0.send(name);
        }
    }

    #[test]
    fn values_are_dropped_on_the_dropper_thread() {
        let (tx, rx) = channel();
        for _ in 0..3 {
            super::drop_later(Probe(tx.clone()));
            let thread = rx.recv_timeout(Duration::from_secs(10)).expect("dropped");
            assert_eq!(thread.as_deref(), Some("chainwatch-drop"));
        }
    }
}
