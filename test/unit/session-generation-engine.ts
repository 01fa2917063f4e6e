// The worker-side EngineSession behind the GenerationEngine interface EngineClient gives the host, so controller
// tests (unit and webview tiers) drive the real engine in-process, without a worker.
import type { EngineSession } from '../../src/engine/session';
import type { GenerationEngine } from '../../src/panel/continuation-controller';

export function generationEngineOf(session: EngineSession): GenerationEngine {
  return {
    async generateStart(sessionId, prompt, maxTokens, topK) {
      const r = await session.handle({ kind: 'generateStart', sessionId, prompt, maxTokens, topK });
      if (r.kind !== 'generateStart') throw new Error(r.kind);
      return r;
    },
    async generateStep(sessionId, tokenId, topK) {
      const r = await session.handle({ kind: 'generateStep', sessionId, tokenId, topK });
      if (r.kind !== 'generateStep') throw new Error(r.kind);
      return r;
    },
    async generateEnd(sessionId) {
      await session.handle({ kind: 'generateEnd', sessionId });
    },
  };
}
