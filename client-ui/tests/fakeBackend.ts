// An in-memory `Backend` for component tests: answers are set per test, calls are recorded.
// The real adapter and commands are exercised by the WebDriver end-to-end test.

import { BackendError, type Backend, type HomeFacts, type InitForm, type Operator } from "../src/lib/backend";

export const supervisor: Operator = { id: "SUP1", name: "Amina Diallo", roles: ["supervisor"], status: "active" };

export const quietFacts: HomeFacts = {
  last_sync_at: 1_795_000_000,
  pending_approval: 3,
  oldest_pending_at: 1_794_900_000,
  unexported_approved: 0,
  last_export_at: null,
};

type Answer<T> = T | BackendError;

function settle<T>(answer: Answer<T>): Promise<T> {
  return answer instanceof BackendError ? Promise.reject(answer) : Promise.resolve(answer);
}

export class FakeBackend implements Backend {
  initialised: Answer<void> = undefined;
  loginAnswer: Answer<Operator> = supervisor;
  initAnswer: Answer<Operator> = supervisor;
  facts: Answer<HomeFacts> = quietFacts;
  freeze: Answer<void> = undefined;
  calls: string[] = [];
  lastInit?: InitForm;

  dataDirState() {
    this.calls.push("dataDirState");
    return settle(this.initialised);
  }
  initMachine(form: InitForm) {
    this.calls.push("initMachine");
    this.lastInit = form;
    return settle(this.initAnswer);
  }
  login(operator: string, password: string) {
    this.calls.push(`login ${operator} ${password}`);
    return settle(this.loginAnswer);
  }
  logout() {
    this.calls.push("logout");
    return Promise.resolve();
  }
  homeFacts() {
    this.calls.push("homeFacts");
    return settle(this.facts);
  }
  freezeStatus() {
    this.calls.push("freezeStatus");
    return settle(this.freeze);
  }
}
