import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { deploymentJson } from './deployment.ts';

describe('Gmail add-on deployment', () => {
  it('names every endpoint under /addons/gmail/ of the public URL, with the system ID token and the four scopes', () => {
    expect(deploymentJson('https://chat.example.com/')).to.deep.equal({
      oauthScopes: [
        'https://www.googleapis.com/auth/gmail.addons.execute',
        'https://www.googleapis.com/auth/gmail.addons.current.message.readonly',
        'https://www.googleapis.com/auth/gmail.addons.current.action.compose',
        'https://www.googleapis.com/auth/userinfo.email',
      ],
      addOns: {
        common: {
          name: 'ChatPro',
          logoUrl: 'https://chat.example.com/addons/gmail/logo.png',
          homepageTrigger: { runFunction: 'https://chat.example.com/addons/gmail/homepage' },
          openLinkUrlPrefixes: ['https://chat.example.com/'],
        },
        gmail: {
          contextualTriggers: [{ unconditional: {}, onTriggerFunction: 'https://chat.example.com/addons/gmail/contextual' }],
          composeTrigger: { actions: [{ label: 'ChatPro', runFunction: 'https://chat.example.com/addons/gmail/compose' }], draftAccess: 'NONE' },
        },
        httpOptions: { authorizationHeader: 'SYSTEM_ID_TOKEN' },
      },
    });
  });

  it('refuses a URL Google could not call (not https)', () => {
    expect(() => deploymentJson('http://localhost:3000')).to.throw(TypeError);
  });

  it('matches the committed deployment.example.json', () => {
    const committed = JSON.parse(readFileSync(new URL('../deployment.example.json', import.meta.url), 'utf8')) as unknown;
    expect(committed).to.deep.equal(deploymentJson('https://chatpro.example.com'));
  });
});
