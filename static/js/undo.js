// Undo and redo of a reviewer's last changes. Each step is one saved change of one sentence's
// mark: what it was before and after (null: no mark). The page applies a step through its normal
// save path, so an undo is itself a saved change with its own version and history entry.

const LIMIT = 100;

export class UndoHistory {
  constructor() {
    this.done = [];
    this.undone = [];
  }

  // A new change by the reviewer: remembered for undo; what was undone before can no longer be redone.
  record(sid, before, after) {
    this.done.push({ sid, before: copy(before), after: copy(after) });
    if (this.done.length > LIMIT) this.done.shift();
    this.undone = [];
  }

  // The step to revert (apply its `before`), or null.
  undo() {
    const step = this.done.pop();
    if (!step) return null;
    this.undone.push(step);
    return step;
  }

  // The step to apply again (its `after`), or null.
  redo() {
    const step = this.undone.pop();
    if (!step) return null;
    this.done.push(step);
    return step;
  }

  // The stored mark changed under us (another tab, a lead): steps of that sentence no longer apply.
  forget(sid) {
    this.done = this.done.filter((step) => step.sid !== sid);
    this.undone = this.undone.filter((step) => step.sid !== sid);
  }

  get canUndo() {
    return this.done.length > 0;
  }

  get canRedo() {
    return this.undone.length > 0;
  }
}

function copy(mark) {
  return mark ? JSON.parse(JSON.stringify(mark)) : null;
}
