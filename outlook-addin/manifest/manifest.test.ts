import { expect } from 'chai';
import { COMMAND_FUNCTIONS } from '../src/commands/names.ts';
import { renderManifestJson, renderManifestXml, unifiedManifest } from './render.ts';
import { validateUnifiedManifest, validateXmlManifest } from './validate.ts';

const URL_ = 'https://chat.tweppy.example';
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('outlook-addin: manifests', () => {
  it('fills the public URL everywhere, in both manifests', () => {
    const json = renderManifestJson(URL_);
    const xml = renderManifestXml(URL_);
    for (const text of [json, xml]) expect(text).not.to.include('{{');
    expect(json).to.include(`"page": "${URL_}/addins/outlook/taskpane.html"`);
    expect(json).to.include('"validDomains": [\n    "chat.tweppy.example"\n  ]');
    expect(xml).to.include(`<SourceLocation DefaultValue="${URL_}/addins/outlook/taskpane.html"/>`);
    expect(xml).to.include(`<AppDomain>${URL_}</AppDomain>`);
    expect(renderManifestXml('http://localhost:3000/')).to.include('"http://localhost:3000/addins/outlook/commands.js"');
    expect(() => renderManifestJson('ftp://example.com')).to.throw(/http/);
  });

  it('the unified manifest passes the schema bundled by @microsoft/app-manifest', async () => {
    expect(await validateUnifiedManifest(unifiedManifest(URL_))).to.deep.equal([]);
    expect(await validateUnifiedManifest(unifiedManifest('http://localhost:3000'))).to.deep.equal([]);
  });

  it('the unified manifest has the read button, the compose command and the launch event', () => {
    const m = unifiedManifest(URL_) as any;
    const ext = m.extensions[0];
    const controls = ext.ribbons.flatMap((r: any) => r.tabs.flatMap((t: any) => t.groups.flatMap((g: any) => g.controls.map((c: any) => ({ context: r.contexts[0], ...c })))));
    expect(controls.map((c: any) => [c.context, c.label, c.actionId])).to.deep.equal([
      ['mailRead', 'ChatPro', 'ShowChatPane'],
      ['mailCompose', 'Inserisci Clicca qui per discuterne', 'insertChatButton'],
    ]);
    expect(ext.autoRunEvents[0].events).to.deep.equal([{ type: 'newMessageComposeCreated', actionId: 'onNewMessageComposeHandler' }]);
    const actions = ext.runtimes.flatMap((r: any) => r.actions.map((a: any) => a.id));
    for (const fn of COMMAND_FUNCTIONS) expect(actions).to.include(fn);
  });

  it('fails on a broken unified manifest', async () => {
    const good = unifiedManifest(URL_) as any;
    const noName = clone(good);
    delete noName.name;
    const badControl = clone(good);
    badControl.extensions[0].ribbons[0].tabs[0].groups[0].controls[0].type = 'slider';
    const longLabel = clone(good);
    longLabel.extensions[0].ribbons[1].tabs[0].groups[0].controls[0].label = 'x'.repeat(65);
    const badIcon = clone(good);
    badIcon.extensions[0].ribbons[0].tabs[0].groups[0].icons[0].size = 17;
    for (const [what, broken] of [['no name', noName], ['control type', badControl], ['label length', longLabel], ['icon size', badIcon]] as const) {
      expect(await validateUnifiedManifest(broken), what).not.to.deep.equal([]);
    }
    expect(await validateUnifiedManifest({ ...clone(good), $schema: undefined })).to.deep.equal(['/$schema is missing']);
  });

  it('the XML manifest is a valid MailApp whose functions the add-in registers', async () => {
    expect(await validateXmlManifest(renderManifestXml(URL_), { functionNames: COMMAND_FUNCTIONS })).to.deep.equal([]);
  });

  it('fails on a broken XML manifest', async () => {
    const good = renderManifestXml(URL_);
    const cases: [string, string, RegExp][] = [
      ['not well-formed', good.replace('</Hosts>', ''), /well-formed/],
      ['missing Id', good.replace(/<Id>[^<]*<\/Id>/, ''), /<Id>/],
      ['bad GUID', good.replace(/<Id>[^<]*<\/Id>/, '<Id>not-a-guid</Id>'), /GUID/],
      ['elements out of order', good.replace('<ProviderName>Tweppy</ProviderName>', '').replace('<Version>', '<ProviderName>Tweppy</ProviderName><Version>'), /misplaced <Version>/],
      ['unknown resid', good.replace('<Label resid="Insert.Label"/>', '<Label resid="Nope.Label"/>'), /Nope\.Label/],
      ['relative URL', good.replace(/(id="Taskpane.Url" DefaultValue=")[^"]*/, '$1/taskpane.html'), /not an absolute URL/],
      ['wrong permission', good.replace('<Permissions>ReadWriteItem</Permissions>', '<Permissions>Everything</Permissions>'), /Permissions/],
      ['unknown launch event', good.replace('OnNewMessageCompose', 'OnSomething'), /LaunchEvent/],
      ['unregistered function', good.replace('<FunctionName>insertChatButton</FunctionName>', '<FunctionName>insertButton</FunctionName>'), /insertButton/],
    ];
    for (const [what, xml, problem] of cases) {
      const problems = await validateXmlManifest(xml, { functionNames: COMMAND_FUNCTIONS });
      expect(problems.join('\n'), what).to.match(problem);
    }
  });
});
