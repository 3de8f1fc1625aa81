import type { AgentRegistry } from '@agentsudo/nestjs/express';
import type { ToolTraffic } from './tool-traffic';

export interface HttpProxyOptions {
  registry: AgentRegistry;
  traffic: ToolTraffic;
  upstream: URL;
  host: string;
  port: number;
  stderr: NodeJS.WritableStream;
}

export async function runHttpProxy(options: HttpProxyOptions): Promise<number> {
  options.stderr.write('agentsudo-mcp: HTTP mode is not built yet.\n');
  return 1;
}
