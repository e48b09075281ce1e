/** Ask for the sign-in in place (the prompt <Screen> shows above the page), so what is typed stays. */
import { session } from './session'

export function askToSignIn(): void {
  session.set({ ...session.get(), signInRequested: true })
}
