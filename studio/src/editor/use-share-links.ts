/**
 * Share links (`#code=`) never replace the user's code on their own. A link whose code differs
 * from what the editor holds is offered in a banner; opening it keeps the user's code aside
 * (restorable), and the hash is then removed so later edits survive a reload. Links pasted into
 * an open studio arrive through `hashchange`.
 */
import { useCallback, useEffect, useState } from "react";
import { decodeShareHash } from "../lib/share.ts";
import { loadCodeBeforeLink, loadSavedCode, saveCodeBeforeLink } from "./persistence.ts";

export interface ShareLinks {
  /** Code from a link, waiting for the user to open it or keep their own. */
  offered: string | undefined;
  /** The user's code from before they opened a link, while it can be restored. */
  before: string | undefined;
  openOffered(): void;
  keepMine(): void;
  restoreBefore(): void;
  dismissBefore(): void;
}

function removeHash(): void {
  history.replaceState(null, "", location.pathname + location.search);
}

export function useShareLinks(current: () => string, replaceCode: (code: string) => void, warn: (text: string) => void): ShareLinks {
  const [offered, setOffered] = useState<string | undefined>();
  const [before, setBefore] = useState<string | undefined>(() => loadCodeBeforeLink());

  useEffect(() => {
    const consume = async () => {
      if (!location.hash.startsWith("#code=")) return;
      const shared = await decodeShareHash(location.hash);
      if (shared === undefined) {
        warn("the link's #code= part could not be decoded; your code is unchanged");
        removeHash();
      } else if (shared === current()) {
        removeHash();
      } else if (loadSavedCode() === undefined) {
        // Nothing of the user's to lose: a first visit opens the link directly.
        replaceCode(shared);
        removeHash();
      } else setOffered(shared);
    };
    void consume();
    const onHash = () => void consume();
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, [current, replaceCode, warn]);

  const openOffered = useCallback(() => {
    if (offered === undefined) return;
    const mine = current();
    saveCodeBeforeLink(mine);
    setBefore(mine);
    replaceCode(offered);
    setOffered(undefined);
    removeHash();
  }, [offered, current, replaceCode]);

  const keepMine = useCallback(() => {
    setOffered(undefined);
    removeHash();
  }, []);

  const restoreBefore = useCallback(() => {
    if (before === undefined) return;
    replaceCode(before);
    saveCodeBeforeLink(undefined);
    setBefore(undefined);
  }, [before, replaceCode]);

  const dismissBefore = useCallback(() => {
    saveCodeBeforeLink(undefined);
    setBefore(undefined);
  }, []);

  return { offered, before, openOffered, keepMine, restoreBefore, dismissBefore };
}
