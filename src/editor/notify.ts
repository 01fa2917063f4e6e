/**
 * Errors and notices shown to the person: every one is logged to the "GPT X-Ray" channel, and the last few are
 * kept so the integration tests can check what was shown without reading the notification UI.
 */
import * as vscode from 'vscode';

export class Notifier {
  private readonly recent: string[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {}

  error(message: string): void {
    this.remember(message);
    this.log.error(message);
    void vscode.window.showErrorMessage(message);
  }

  info(message: string): void {
    this.remember(message);
    this.log.info(message);
    void vscode.window.showInformationMessage(message);
  }

  /** The messages shown so far in this session, oldest first (at most 50). */
  shown(): string[] {
    return [...this.recent];
  }

  private remember(message: string): void {
    this.recent.push(message);
    if (this.recent.length > 50) this.recent.shift();
  }
}
