import { WifiOff } from 'lucide-react';
import { useState } from 'react';
import { useConnectivity } from '../lib/connectivity.ts';
import { request } from '../lib/request.ts';
import { Button } from './Button.tsx';

/** Shown across the top while the app's backend does not answer; Retry pings it (any answer hides the bar). */
export function OfflineBar() {
  const offline = useConnectivity((s) => s.offline);
  const [checking, setChecking] = useState(false);
  if (!offline) return null;
  return (
    <div className="offline-bar" role="alert" data-testid="offline-bar">
      <WifiOff size={16} aria-hidden="true" />
      <span>
        <strong>{offline.error.message}</strong> {offline.error.hint}
      </span>
      <Button
        variant="secondary"
        isPending={checking}
        onPress={() => {
          setChecking(true);
          void request('ping', { message: 'reconnect' }, { quiet: true }).finally(() => setChecking(false));
        }}
      >
        Retry
      </Button>
    </div>
  );
}
