/** The read-mode task pane: the ChatPro conversation of the open email, beside it. */
import { render } from 'preact';
import { officeReady } from '../office/ready.ts';
import { TaskPane } from './TaskPane.tsx';
import '@chatpro/web/style.css';
import '@chatpro/web/chat/chat.css';
import './taskpane.css';

void officeReady().then(() => render(<TaskPane />, document.getElementById('root')!));
