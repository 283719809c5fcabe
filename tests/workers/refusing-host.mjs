// Test worker (tests/workerd.rs): the release worker on a host that refuses
// to construct the next N `Response`s of a request, N from its `?refuse=N`
// (the router ignores the query string). With N = 2 the Rust handler can
// build neither its answer nor its JSON error, and workerd answers.
import worker from "../../hosts/workerd.mjs";

const HostResponse = globalThis.Response;
let refuse = 0;
globalThis.Response = new Proxy(HostResponse, {
  construct(target, args) {
    if (refuse > 0) {
      refuse -= 1;
      throw new TypeError("toy-edge test host: Response refused");
    }
    return Reflect.construct(target, args);
  },
});

export default {
  fetch(request, env, ctx) {
    refuse = Number(new URL(request.url).searchParams.get("refuse") ?? 0);
    return worker.fetch(request, env, ctx);
  },
};
