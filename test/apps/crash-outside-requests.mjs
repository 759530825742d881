// A process whose timer throws while no request is in flight.
setTimeout(() => {
  throw new Error('a timer threw outside any request')
}, 10)
