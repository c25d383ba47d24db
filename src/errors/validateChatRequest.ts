import { InvalidRequestError, type RequestProblem } from './InvalidRequestError.js';
import { safeText } from './safeText.js';

/** The message roles the chat-completions API accepts (`unknown[]`, so any value can be looked up). */
const ROLES: readonly unknown[] = ['system', 'developer', 'user', 'assistant', 'tool', 'function'];

/** Assistant fields that let `content` be null or absent. */
const CONTENT_OPTIONAL_WITH = ['tool_calls', 'function_call', 'audio', 'refusal'];

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The type of a value as a problem names it; numbers and short scalars shown when `show` is set. */
function got(value: unknown, show = false): string {
  if (value === null) return 'got null';
  if (Array.isArray(value)) return 'got an array';
  if (show && typeof value === 'number') return `got ${value}`;
  if (show && typeof value === 'string') return `got ${JSON.stringify(safeText(value, 40))}`;
  return `got ${typeof value}`;
}

function checkContent(message: Json, path: string, problems: RequestProblem[]): void {
  const content = message.content;
  const role = message.role;
  if (content === undefined || content === null) {
    if (role === 'function') return;
    if (role === 'assistant') {
      if (
        CONTENT_OPTIONAL_WITH.some(
          (field) => message[field] !== undefined && message[field] !== null,
        )
      ) {
        return;
      }
      problems.push({
        path: `${path}.content`,
        problem: `must be a string or an array of content parts unless the message has tool_calls, ${got(content)}`,
      });
      return;
    }
    problems.push({ path: `${path}.content`, problem: `is required for role ${String(role)}` });
    return;
  }
  if (typeof content === 'string') return;
  if (role === 'function' || !Array.isArray(content)) {
    const allowed =
      role === 'function' ? 'a string or null' : 'a string or an array of content parts';
    problems.push({ path: `${path}.content`, problem: `must be ${allowed}, ${got(content)}` });
    return;
  }
  content.forEach((part, index) => {
    if (!isRecord(part) || typeof part.type !== 'string') {
      problems.push({
        path: `${path}.content[${index}]`,
        problem: `must be a content part: an object with a string type, ${isRecord(part) ? 'type missing' : got(part)}`,
      });
    }
  });
}

function checkMessage(message: unknown, path: string, problems: RequestProblem[]): void {
  if (!isRecord(message)) {
    problems.push({ path, problem: `must be an object, ${got(message)}` });
    return;
  }
  const { role } = message;
  if (!ROLES.includes(role)) {
    problems.push({
      path: `${path}.role`,
      problem:
        role === undefined
          ? `is required (one of ${ROLES.join(', ')})`
          : `must be one of ${ROLES.join(', ')}, ${got(role, true)}`,
    });
    return;
  }
  checkContent(message, path, problems);
  if (
    role === 'tool' &&
    (typeof message.tool_call_id !== 'string' || message.tool_call_id === '')
  ) {
    problems.push({
      path: `${path}.tool_call_id`,
      problem: `must be a non-empty string for a tool message, ${got(message.tool_call_id)}`,
    });
  }
  if (role === 'function' && (typeof message.name !== 'string' || message.name === '')) {
    problems.push({
      path: `${path}.name`,
      problem: `must be a non-empty string for a function message, ${got(message.name)}`,
    });
  }
}

function checkRange(
  params: Json,
  field: string,
  min: number,
  max: number,
  problems: RequestProblem[],
) {
  const value = params[field];
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    problems.push({
      path: field,
      problem: `must be a number from ${min} to ${max}, ${got(value, true)}`,
    });
  }
}

function checkPositiveInteger(params: Json, field: string, problems: RequestProblem[]) {
  const value = params[field];
  if (value === undefined || value === null) return;
  // Number.isInteger is false for anything but a number.
  if (!Number.isInteger(value) || (value as number) < 1) {
    problems.push({ path: field, problem: `must be a positive integer, ${got(value, true)}` });
  }
}

/**
 * Checks a chat-completions request before it is sent and throws an {@link InvalidRequestError}
 * listing every problem with its path: `model` a non-empty string; `messages` a non-empty array
 * of objects with a known role (system, developer, user, assistant, tool, function); `content` a
 * string or an array of content parts (null or absent only on an assistant message with
 * `tool_calls`/`function_call`, and on a function message); a tool message's `tool_call_id`;
 * `temperature` in [0, 2]; `top_p` in [0, 1]; `n`, `max_tokens`, `max_completion_tokens` positive
 * integers. Never stricter than the API: unknown fields and `null` optional parameters pass.
 * Problems name types and numbers, never message content.
 *
 * @example
 * ```ts
 * import { InvalidRequestError, validateChatRequest } from 'llm-resilience';
 *
 * try {
 *   validateChatRequest({ model: '', messages: [], temperature: 3 });
 * } catch (error) {
 *   if (!(error instanceof InvalidRequestError)) throw error;
 *   error.problems;
 *   // [{ path: 'model', problem: 'must be a non-empty string, got ""' },
 *   //  { path: 'messages', problem: 'must be a non-empty array, got an empty array' },
 *   //  { path: 'temperature', problem: 'must be a number from 0 to 2, got 3' }]
 * }
 * ```
 */
export function validateChatRequest(params: unknown): void {
  if (!isRecord(params)) {
    throw new InvalidRequestError([
      { path: '(request)', problem: `must be an object, ${got(params)}` },
    ]);
  }
  const problems: RequestProblem[] = [];
  if (typeof params.model !== 'string' || params.model === '') {
    problems.push({
      path: 'model',
      problem: `must be a non-empty string, ${got(params.model, true)}`,
    });
  }
  const { messages } = params;
  if (!Array.isArray(messages) || messages.length === 0) {
    problems.push({
      path: 'messages',
      problem: `must be a non-empty array, ${Array.isArray(messages) ? 'got an empty array' : got(messages)}`,
    });
  } else {
    messages.forEach((message, index) => {
      checkMessage(message, `messages[${index}]`, problems);
    });
  }
  checkRange(params, 'temperature', 0, 2, problems);
  checkRange(params, 'top_p', 0, 1, problems);
  for (const field of ['n', 'max_tokens', 'max_completion_tokens']) {
    checkPositiveInteger(params, field, problems);
  }
  if (problems.length > 0) throw new InvalidRequestError(problems);
}
