import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ApiError, api, setCsrfToken, setUnauthorizedHandler } from './api-client.ts';
import type { Permission, Session } from './types.ts';

export type AuthState =
  | { status: 'loading' }
  | { status: 'setup' }
  /** `loggedOut`: ended by the user, so the next login starts afresh rather than returning here. */
  | { status: 'anonymous'; loggedOut?: boolean }
  | { status: 'authenticated'; session: Session }
  | { status: 'unavailable'; error: unknown };

export interface SetupInput {
  email: string;
  name: string;
  password: string;
  time_zone: string;
}

interface AuthContextValue {
  state: AuthState;
  session: Session | null;
  can(permission: Permission): boolean;
  setup(input: SetupInput): Promise<void>;
  login(email: string, password: string): Promise<void>;
  logout(): Promise<void>;
  /** Reload the session (after changing one's own account, or to retry a failed start). */
  refresh(): Promise<void>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

/**
 * The session cookie is HTTP-only, so the page cannot see it. This flag remembers that this
 * browser logged in, so an anonymous first visit goes straight to the login page instead of
 * asking the server (and logging a 401 in the console).
 */
const HINT_KEY = 'engops.signed-in';
function readHint(): boolean {
  try {
    return window.localStorage.getItem(HINT_KEY) === '1';
  } catch {
    return true;
  }
}
function writeHint(signedIn: boolean): void {
  try {
    if (signedIn) window.localStorage.setItem(HINT_KEY, '1');
    else window.localStorage.removeItem(HINT_KEY);
  } catch {
    // storage unavailable (private mode): the server check still decides
  }
}

async function loadState(): Promise<AuthState> {
  const setup = await api.get<{ required: boolean }>('/api/v1/setup');
  if (setup.required) return { status: 'setup' };
  if (!readHint()) return { status: 'anonymous' };
  try {
    const session = await api.get<Session>('/api/v1/auth/session');
    return { status: 'authenticated', session };
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return { status: 'anonymous' };
    throw error;
  }
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>({ status: 'loading' });

  const adopt = useCallback((session: Session) => {
    setCsrfToken(session.csrf_token);
    writeHint(true);
    setState({ status: 'authenticated', session });
  }, []);

  const signOut = useCallback((loggedOut = false) => {
    setCsrfToken(null);
    writeHint(false);
    setState({ status: 'anonymous', loggedOut });
  }, []);

  const refresh = useCallback(async () => {
    try {
      const next = await loadState();
      if (next.status === 'authenticated') adopt(next.session);
      else {
        if (next.status === 'anonymous') writeHint(false);
        setCsrfToken(null);
        setState(next);
      }
    } catch (error) {
      setState({ status: 'unavailable', error });
    }
  }, [adopt]);

  useEffect(() => {
    setUnauthorizedHandler(() => signOut(false));
    void refresh();
    return () => setUnauthorizedHandler(null);
  }, [refresh, signOut]);

  const value = useMemo<AuthContextValue>(() => {
    const session = state.status === 'authenticated' ? state.session : null;
    return {
      state,
      session,
      can: (permission) => session?.permissions.includes(permission) ?? false,
      async setup(input) {
        adopt(await api.post<Session>('/api/v1/setup', input));
      },
      async login(email, password) {
        adopt(
          await api.post<Session>('/api/v1/auth/login', { email, password }, { expectUnauthorized: true }),
        );
      },
      async logout() {
        try {
          await api.post<void>('/api/v1/auth/logout');
        } finally {
          signOut(true);
        }
      },
      refresh,
    };
  }, [state, adopt, signOut, refresh]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth must be used inside <AuthProvider>');
  return value;
}
