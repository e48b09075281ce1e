/**
 * Subscribe-message opt-in where a booking is made (WeChat: only from the person's tap, at most three
 * templates per call, each acceptance allows one message). The template ids are the ones configured on
 * the service (WECHAT_TEMPLATE_BOOKING_REMINDER / _CHANGE), given to the build in miniprogram/.env.local
 * as TARO_APP_TMPL_BOOKING_REMINDER / TARO_APP_TMPL_BOOKING_CHANGE. Without them, and on h5, nothing is
 * asked. A refusal or a failure never stops the booking.
 */
import Taro from '@tarojs/taro'

function configured(read: () => string | undefined): string {
  try {
    return read() || ''
  } catch {
    return '' // the build defined no such constant
  }
}

export function bookingTemplates(): string[] {
  return [
    configured(() => process.env.TARO_APP_TMPL_BOOKING_REMINDER),
    configured(() => process.env.TARO_APP_TMPL_BOOKING_CHANGE),
  ].filter(Boolean)
}

/** Call first thing in the tap handler (before any await), as WeChat requires. */
export async function askBookingMessages(): Promise<void> {
  const tmplIds = bookingTemplates()
  if (process.env.TARO_ENV !== 'weapp' || tmplIds.length === 0) return
  try {
    await Taro.requestSubscribeMessage({ tmplIds, entityIds: [] } as unknown as Taro.requestSubscribeMessage.Option)
  } catch {
    // Refused or unsupported: the booking goes on without reminders.
  }
}
