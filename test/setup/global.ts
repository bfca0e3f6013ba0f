// Global test setup: nothing shared yet; suites start their own processes.
export default function setup(): void {}
