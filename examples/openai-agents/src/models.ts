import { OpenAIProvider, Usage, type Model, type ModelRequest, type ModelResponse } from '@openai/agents';

/** What one scripted turn outputs. */
type Turn = ModelResponse['output'];

/**
 * A model that needs no network and no key: it answers each request with the next scripted
 * turn, as a model that chose these tool calls would.
 */
export class ScriptedModel implements Model {
  private next = 0;

  constructor(private readonly turns: Turn[]) {}

  async getResponse(): Promise<ModelResponse> {
    const output = this.turns[this.next++];
    if (output === undefined) throw new Error(`the script has no turn ${this.next}`);
    return { usage: new Usage(), output, responseId: `scripted_${this.next}` };
  }

  // eslint-disable-next-line require-yield
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('the scripted model answers run() without streaming only');
  }
}

/**
 * Passes every request on to `model` and keeps it, so the example can print what the model
 * was shown, whichever model it is.
 */
export class RecordingModel implements Model {
  readonly requests: ModelRequest[] = [];

  constructor(private readonly model: Model) {}

  getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    return this.model.getResponse(request);
  }

  getStreamedResponse(request: ModelRequest) {
    this.requests.push(request);
    return this.model.getStreamedResponse(request);
  }

  /** The tool results in the requests so far: [tool call id, text]. */
  toolResults(): Array<[string, string]> {
    const seen = new Map<string, string>();
    for (const { input } of this.requests) {
      if (typeof input === 'string') continue;
      for (const item of input) {
        if (item.type !== 'function_call_result') continue;
        const output = item.output;
        const text =
          typeof output === 'string'
            ? output
            : !Array.isArray(output) && output.type === 'text'
              ? output.text
              : JSON.stringify(output);
        seen.set(item.callId, text);
      }
    }
    return [...seen];
  }
}

/** A real OpenAI model (the name in `name`, the key in OPENAI_API_KEY), or the script. */
export async function chooseModel(name: string | undefined, script: Turn[]): Promise<Model> {
  if (name) return new OpenAIProvider().getModel(name);
  return new ScriptedModel(script);
}
