// The entry of erp/web/static/vendor/sentry/sentry.min.js (built by ops/vendor/sentry_browser.sh).
// It exposes the error-tracking part of @sentry/browser as window.Sentry (no tracing, replay
// or feedback) and starts it from its own <script> tag's data attributes, so the pages need
// no inline script: <script src=".../sentry.min.js" data-dsn="..." data-environment="..."
// data-release="..." data-sample-rate="1"></script>. Without data-dsn it only defines Sentry.
import { init } from "@sentry/browser";

export {
  SDK_VERSION,
  addBreadcrumb,
  captureException,
  captureMessage,
  close,
  flush,
  getClient,
  init,
  lastEventId,
  setContext,
  setExtra,
  setTag,
  setTags,
  setUser,
  withScope,
} from "@sentry/browser";

const config = document.currentScript && document.currentScript.dataset;
if (config && config.dsn) {
  const sampleRate = Number(config.sampleRate);
  init({
    dsn: config.dsn,
    environment: config.environment || undefined,
    release: config.release || undefined,
    sampleRate: Number.isFinite(sampleRate) ? sampleRate : 1,
    sendDefaultPii: false,
  });
}
