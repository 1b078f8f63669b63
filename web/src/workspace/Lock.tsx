/** The lock of the spec: green while a ChatPro link of the context is open, red otherwise. */
export function Lock(props: { active: boolean; title?: string }) {
  const color = props.active ? '#16a34a' : '#dc2626';
  return (
    <svg class={`lock ${props.active ? 'lock-on' : 'lock-off'}`} data-testid="lock" data-active={String(props.active)} viewBox="0 0 24 24" width="18" height="18" aria-label={props.title} role="img">
      <rect x="4" y="11" width="16" height="10" rx="2" fill={color} />
      <path d={props.active ? 'M8 11V7a4 4 0 0 1 8 0' : 'M8 11V7a4 4 0 0 1 8 0v4'} fill="none" stroke={color} stroke-width="2.2" />
    </svg>
  );
}
