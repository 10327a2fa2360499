// The error vocabulary shared with pybase.apis.errors: a hook throws one of these and the bridge
// answers with its status, message and (validation) data, as PocketBase's aliases do.
// Messages are normalised on the Python side (first letter upper-cased, final period added).
(function (g) {
  "use strict";

  // PocketBase's inflector.Sentenize: trimmed, the first letter upper-cased, a final period.
  function sentenize(text) {
    const s = String(text).trim();
    if (!s) return "";
    const first = String.fromCodePoint(s.codePointAt(0));
    const upper = first.toUpperCase();
    const out = (upper.length === first.length ? upper : first) + s.slice(first.length);
    return ".?!".includes(out[out.length - 1]) ? out : out + ".";
  }

  // NOTE: as PocketBase's NewApiError, the message is normalised at construction (err.message
  // reads "Nope." for new BadRequestError("nope")).
  class ApiError extends Error {
    constructor(status, message, data) {
      super(sentenize(message || ""));
      this.name = "ApiError";
      this.status = Number(status) || 400;
      this.data = data || {};
    }
  }

  // Empty messages fall back to PocketBase's defaults for each status.
  function statusError(name, status, defaultMessage) {
    return class extends ApiError {
      constructor(message, data) {
        super(status, message || defaultMessage, data);
        this.name = name;
      }
    };
  }

  // A field error inside an ApiError's data: {field: new ValidationError("code", "Message.")}.
  class ValidationError {
    constructor(code, message) {
      this.code = code || "validation_invalid_value";
      this.message = message || "Invalid value.";
    }
    toJSON() {
      return { $verr: true, code: this.code, message: this.message };
    }
  }

  // An error raised by pybase while JS called into it ($app, e.next()...): rethrown unchanged it
  // keeps its original meaning (a missing record stays a 404).
  class PyError extends Error {
    constructor(message, status, type, ref) {
      super(message);
      this.name = type || "Error";
      this.status = status || 0;
      Object.defineProperty(this, "__pyref", { value: ref, enumerable: false });
    }
  }

  g.ApiError = ApiError;
  g.BadRequestError = statusError("BadRequestError", 400, "Something went wrong while processing your request.");
  g.UnauthorizedError = statusError("UnauthorizedError", 401, "Missing or invalid authentication.");
  g.ForbiddenError = statusError("ForbiddenError", 403, "You are not allowed to perform this request.");
  g.NotFoundError = statusError("NotFoundError", 404, "The requested resource wasn't found.");
  g.TooManyRequestsError = statusError("TooManyRequestsError", 429, "Too Many Requests.");
  g.InternalServerError = statusError("InternalServerError", 500, "Something went wrong while processing your request.");
  g.ValidationError = ValidationError;
  g.PyError = PyError;
})(globalThis);
