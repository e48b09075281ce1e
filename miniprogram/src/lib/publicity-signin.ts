/** Ask for the sign-in in place (the prompt <Screen> shows above the page), so what is typed stays. */
export { requestSignIn as askToSignIn } from './session'
