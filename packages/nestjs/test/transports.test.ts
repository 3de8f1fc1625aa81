import request from 'supertest';
import { configure, getTransports } from '@agentsudo/core';
import { AgentSudoModule } from '../src';
import { supportDeskControllers, supportDeskProviders } from './fixtures/support-desk';
import { PLATFORMS, startApp, type Platform } from './nest-app';
import { MemoryTransport, supportDeskAgents } from './support';

/** A transport that records when it is closed. */
class ClosableTransport extends MemoryTransport {
  closed = false;
  async close(): Promise<void> {
    this.closed = true;
  }
}

const desk = supportDeskAgents();

function startWith(platform: Platform, transport: MemoryTransport) {
  return startApp(platform, {
    imports: [AgentSudoModule.forRoot({ agents: desk.registrations, transports: [transport] })],
    controllers: supportDeskControllers,
    providers: supportDeskProviders,
  });
}

describe.each(PLATFORMS)(
  'transports belong to the app that configured them, on the %s platform',
  (platform) => {
    afterEach(() => configure({ transports: [] }));

    it('adds each app’s transports beside the others and removes only its own when it closes', async () => {
      const processWide = new ClosableTransport();
      configure({ transports: [processWide] });
      const first = new ClosableTransport();
      const second = new ClosableTransport();
      const firstApp = await startWith(platform, first);
      const secondApp = await startWith(platform, second);
      try {
        expect(getTransports()).toEqual([processWide, first, second]);

        await secondApp.close();
        await request(firstApp.getHttpServer())
          .get('/customers/c-1')
          .auth(desk.readerToken, { type: 'bearer' });

        expect(second.closed).toBe(true);
        expect(getTransports()).toEqual([processWide, first]);
        expect(first.checks()).toContain('SupportBot allowed read:customers in CustomerService.getCustomer');
        expect(second.checks()).not.toContain(
          'SupportBot allowed read:customers in CustomerService.getCustomer',
        );
      } finally {
        await firstApp.close();
      }
      expect(first.closed).toBe(true);
      expect(processWide.closed).toBe(false);
      expect(getTransports()).toEqual([processWide]);
    });
  },
);
