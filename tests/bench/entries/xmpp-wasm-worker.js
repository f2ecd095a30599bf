// The SharedWorker's script, bundled: a page that uses the default
// (shareAcrossTabs) loads it beside the page's bundle.
import '../../../dist/shared-worker.js';
