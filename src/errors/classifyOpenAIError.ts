import { classifyError } from './classifyError.js';

/**
 * The former name of {@link classifyError}: the same function, kept so that code written for
 * OpenAI alone keeps working. It classifies the errors of every SDK `classifyError` knows.
 */
export const classifyOpenAIError: typeof classifyError = classifyError;
