import { assign, emit, setup } from 'xstate';

// A lock server and its clients. A client asks for the lock (Acquire); the server grants it to
// one client at a time (Granted) and turns the others away (Busy); the holder gives it back
// (Release). What a node sends it emits as a `send` effect: the checker delivers it (or not),
// the runtime puts it on the wire.

export type LockMessage =
  | { readonly type: 'Acquire' }
  | { readonly type: 'Release' }
  | { readonly type: 'Granted' }
  | { readonly type: 'Busy' };

type Send = { readonly type: 'send'; readonly to: string; readonly message: LockMessage };
const send = (to: string, message: LockMessage): Send => ({ type: 'send', to, message });

interface Input {
  readonly id: string;
  readonly peers: readonly string[];
}

/** The server. `grantWhileHeld` is the bug of the broken variant: it grants a held lock. */
export function lockServer(options: { readonly grantWhileHeld: boolean }) {
  return setup({
    types: {
      context: {} as { holder: string | null },
      events: {} as LockMessage & { readonly from: string },
      input: {} as Input,
      emitted: {} as Send,
    },
    actions: {
      take: assign({ holder: ({ event }) => event.from }),
      free: assign({ holder: null }),
      grant: emit(({ event }) => send(event.from, { type: 'Granted' })),
      refuse: emit(({ event }) => send(event.from, { type: 'Busy' })),
    },
  }).createMachine({
    id: 'server',
    context: { holder: null },
    initial: 'free',
    states: {
      free: { on: { Acquire: { target: 'held', actions: ['take', 'grant'] } } },
      held: {
        on: {
          Acquire: options.grantWhileHeld ? { actions: ['take', 'grant'] } : { actions: 'refuse' },
          Release: { target: 'free', actions: 'free' },
        },
      },
    },
  });
}

/** A client: it may want the lock at any moment (Want) and gives it back when done (Done). */
export const lockClient = setup({
  types: {
    context: {} as { server: string },
    events: {} as (LockMessage & { readonly from: string }) | { readonly type: 'Want' | 'Done' },
    input: {} as Input,
    emitted: {} as Send,
  },
  actions: {
    acquire: emit(({ context }) => send(context.server, { type: 'Acquire' })),
    release: emit(({ context }) => send(context.server, { type: 'Release' })),
  },
}).createMachine({
  id: 'client',
  context: ({ input }) => ({ server: input.peers[0]! }),
  initial: 'idle',
  states: {
    idle: { on: { Want: { target: 'waiting', actions: 'acquire' } } },
    waiting: { on: { Granted: 'holding', Busy: 'idle' } },
    holding: { on: { Done: { target: 'idle', actions: 'release' } } },
  },
});
