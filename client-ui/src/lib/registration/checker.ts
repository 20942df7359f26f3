// The live form check, coalesced: the core checks the form on every change, but at most one
// check is in flight. Changes made meanwhile replace each other and only the newest is checked
// next, and a result is applied only when nothing newer waits and it differs from the last one
// applied, so fast typing neither queues a call per keystroke nor re-renders the form for
// results that change nothing.

/** Returns the function to call with each new input; `apply` receives the results to show. */
export function coalescedCheck<I, R>(
  run: (input: I) => Promise<R>,
  apply: (result: R) => void,
  failed: (error: unknown) => void,
): (input: I) => void {
  let waiting: { input: I } | undefined;
  let busy = false;
  let applied: string | undefined;

  function next() {
    const job = waiting;
    waiting = undefined;
    busy = job !== undefined;
    if (!job) return;
    run(job.input)
      .then((result) => {
        if (waiting) return;
        const text = JSON.stringify(result);
        if (text === applied) return;
        applied = text;
        apply(result);
      }, failed)
      .finally(next);
  }

  return (input) => {
    waiting = { input };
    if (!busy) next();
  };
}
