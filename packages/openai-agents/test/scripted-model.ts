import { Usage, type Model, type ModelRequest, type ModelResponse } from '@openai/agents';

/** What one model turn answers: given the request, the items the model outputs. */
export type Turn = (request: ModelRequest) => ModelResponse['output'];

/**
 * A `Model` that answers each request with the next scripted turn and records every request,
 * so a test reads exactly what the model was shown (the tool results included).
 */
export class ScriptedTurns implements Model {
  readonly requests: ModelRequest[] = [];
  private next = 0;

  constructor(private readonly turns: Turn[]) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const turn = this.turns[this.next++];
    if (turn === undefined) throw new Error(`the script has no turn ${this.next} for this request`);
    return { usage: new Usage(), output: turn(request), responseId: `resp_${this.next}` };
  }

  // eslint-disable-next-line require-yield
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('this scripted model answers getResponse only');
  }

  /** The tool results the model was shown so far, by call id, as text. */
  toolResults(): Record<string, string> {
    const seen: Record<string, string> = {};
    for (const request of this.requests) {
      if (typeof request.input === 'string') continue;
      for (const item of request.input) {
        if (item.type !== 'function_call_result') continue;
        const output = item.output;
        seen[item.callId] =
          typeof output === 'string'
            ? output
            : !Array.isArray(output) && output.type === 'text'
              ? output.text
              : JSON.stringify(output);
      }
    }
    return seen;
  }
}

/** A turn that calls tools: `[name, args, callId]` each. */
export function callTools(...calls: Array<[string, Record<string, unknown>, string]>): Turn {
  return () =>
    calls.map(([name, args, callId]) => ({
      type: 'function_call' as const,
      id: `fc_${callId}`,
      callId,
      name,
      arguments: JSON.stringify(args),
      status: 'completed' as const,
    }));
}

/** A turn that answers with text and ends the run. */
export function say(text: string): Turn {
  return () => [
    {
      type: 'message' as const,
      id: `msg_${text.length}`,
      role: 'assistant' as const,
      status: 'completed' as const,
      content: [{ type: 'output_text' as const, text }],
    },
  ];
}
