/**
 * The add-on's deployment descriptor for `gcloud workspace-add-ons deployments create`, made
 * for the public URL ChatPro is reached at. Every trigger is an endpoint of the router.
 */
export const GMAIL_ADDON_PATH = '/addons/gmail';

export const OAUTH_SCOPES = [
  'https://www.googleapis.com/auth/gmail.addons.execute',
  'https://www.googleapis.com/auth/gmail.addons.current.message.readonly',
  'https://www.googleapis.com/auth/gmail.addons.current.action.compose',
  'https://www.googleapis.com/auth/userinfo.email',
];

export function deploymentJson(publicUrl: string) {
  const url = new URL(publicUrl);
  if (url.protocol !== 'https:') throw new TypeError('Google calls add-on endpoints over https only: give an https:// URL');
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  const endpoint = (name: string) => `${base}${GMAIL_ADDON_PATH}/${name}`;
  return {
    oauthScopes: OAUTH_SCOPES,
    addOns: {
      common: {
        name: 'ChatPro',
        logoUrl: endpoint('logo.png'),
        homepageTrigger: { runFunction: endpoint('homepage') },
        openLinkUrlPrefixes: [`${base}/`],
      },
      gmail: {
        contextualTriggers: [{ unconditional: {}, onTriggerFunction: endpoint('contextual') }],
        composeTrigger: { actions: [{ label: 'ChatPro', runFunction: endpoint('compose') }], draftAccess: 'NONE' },
      },
      httpOptions: { authorizationHeader: 'SYSTEM_ID_TOKEN' },
    },
  };
}
