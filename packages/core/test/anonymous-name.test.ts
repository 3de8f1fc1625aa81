import { Agent, sudo } from '@agentsudo/core';
import { captureEvents, captureStderr } from './helpers';

describe('sudo() with an inline arrow and no { name }', () => {
  // First in this file: the warning is said once per process, so this runs before any unnamed one.
  it('says nothing when the function has a name, of its own or given', async () => {
    function lookup(id: string) {
      return id;
    }
    const stderr = await captureStderr(() => {
      sudo('read:orders', lookup);
      sudo('send:email', (to: string) => to, { name: 'sendEmail' });
    });
    expect(stderr).toBe('');
  });

  it('names it anonymous and says so once on stderr, with the option to pass', async () => {
    captureEvents(); // keep the denials off stderr: only the warning is left there
    const bot = new Agent({ name: 'Bot', scopes: [] });
    let sendEmail: (to: string) => string = () => '';
    let sendSms: (to: string) => string = () => '';
    const stderr = await captureStderr(() => {
      sendEmail = sudo('send:email', (to: string) => `mail to ${to}`);
      sendSms = sudo('send:sms', (to: string) => `sms to ${to}`);
    });

    expect(stderr).toBe(
      `agentsudo: sudo("send:email", fn) got a function without a name, so its events and errors call it ` +
        `'anonymous'; pass { name: 'sendEmail' } as the third argument (further unnamed functions are not reported).\n`,
    );
    expect(() => bot.startSession(() => sendEmail('a@b.c'))).toThrow(/required by anonymous\./);
    expect(() => bot.startSession(() => sendSms('+1'))).toThrow(/required by anonymous\./);
  });
});
