// workerd's entry (wrangler.toml `main`; `make dev`, `make deploy`, and the
// harness in tests/ and benches/). workerd compiles the imported .wasm once,
// at upload, and forbids compiling wasm from bytes at run time: so the
// module comes in as an import and the glue is instantiated with it.
import module from "../build/index_bg.wasm";
import * as glue from "../build/index.js";
import { adapt } from "./adapter.mjs";

glue.initSync({ module });

const { fetch } = adapt(glue);
export default { fetch };
