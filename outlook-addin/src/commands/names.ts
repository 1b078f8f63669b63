/** The function names that the manifests name (ExecuteFunction and LaunchEvent). */
export const INSERT_CHAT_BUTTON = 'insertChatButton';
export const ON_NEW_MESSAGE_COMPOSE = 'onNewMessageComposeHandler';
export const COMMAND_FUNCTIONS = [INSERT_CHAT_BUTTON, ON_NEW_MESSAGE_COMPOSE];
